// Gradient buckets all-reduced during the backward pass (src/engine/distributed/gradient-hooks.ts
// reports each gradient as soon as tfjs' tape has it). The buckets, their members and each bucket's
// bytes are exactly MlcPipeDistAllreduce's (dist.cc: inputs packed last first into buckets of at
// most `cap` bytes, each flattened in its tensors' memory order, scaled, summed over the ranks, then
// unpacked), so the result is bit for bit the same; only the start of each bucket's all-reduce moves
// earlier. Buckets start strictly in order (bucket k once it is full and buckets < k have started,
// as PyTorch DDP does): every rank then issues the same collectives in the same order whether its
// gradients came early, late (an empty shard, no backward) or all at the end.
//
//   MlcPipeDistBucketsBegin:  in []; attr [scale, cap, n, numel_0 … numel_{n−1}]: plans one reduction
//   MlcPipeDistBucketsAdd:    in [t]; attr [k]: input k is t (starts the buckets that are now due)
//   MlcPipeDistBucketsFinish: in [t_0 … t_{n−1}] (inputs not added yet) -> the n reduced tensors
//   MlcPipeDistBucketsAbort:  waits for started buckets and forgets the reduction (an error unwinding)
#include "dist.h"
#include "registry.h"

#include <stdexcept>

namespace mlc {
namespace {

at::Tensor raw(const at::Tensor& t) {
  auto d = dense(t) ? t : t.contiguous();
  return d.as_strided({d.numel()}, {1}, d.storage_offset());
}

struct Bucket {
  std::vector<size_t> members;
  size_t missing = 0;
  at::Tensor flat;
  std::function<void()> wait;
};

struct Reduction {
  bool active = false;
  double scale = 1;
  std::vector<at::Tensor> inputs;
  std::vector<size_t> bucketOf;
  std::vector<Bucket> buckets;
  size_t started = 0;  // buckets [0, started) are being reduced
};
Reduction& reduction() {
  static Reduction r;
  return r;
}

void startDue(Reduction& r) {
  while (r.started < r.buckets.size() && r.buckets[r.started].missing == 0) {
    auto& b = r.buckets[r.started++];
    std::vector<at::Tensor> parts;
    for (auto k : b.members) parts.push_back(raw(r.inputs[k].to(at::kFloat)));
    b.flat = at::cat(parts);
    if (r.scale != 1) b.flat.mul_(r.scale);
    b.wait = allreduceStart(b.flat);
  }
}

void waitStarted(Reduction& r) {
  for (size_t i = 0; i < r.started; i++) r.buckets[i].wait();
}

std::vector<at::Tensor> begin(const OpArgs& a) {
  auto& r = reduction();
  if (r.active) waitStarted(r);  // a reduction left unfinished by an error: drain it
  r = Reduction();
  r.active = true;
  r.scale = a.num(0);
  int64_t cap = std::max<int64_t>(1, a.i64(1));
  auto n = static_cast<size_t>(a.i64(2));
  r.inputs.resize(n);
  r.bucketOf.resize(n);
  int64_t bytes = 0;
  for (size_t k = n; k-- > 0;) {
    int64_t b = a.i64(3 + k) * 4;
    if (r.buckets.empty() || (bytes + b > cap && !r.buckets.back().members.empty())) r.buckets.emplace_back(), bytes = 0;
    r.buckets.back().members.push_back(k);
    r.buckets.back().missing++;
    r.bucketOf[k] = r.buckets.size() - 1;
    bytes += b;
  }
  return {};
}

std::vector<at::Tensor> add(const OpArgs& a) {
  auto& r = reduction();
  auto k = static_cast<size_t>(a.i64(0));
  if (!r.active || k >= r.inputs.size()) throw std::runtime_error("gradient bucket: no reduction or input out of range");
  if (r.inputs[k].defined()) throw std::runtime_error("gradient bucket: input " + std::to_string(k) + " added twice");
  r.inputs[k] = a.x(0);
  r.buckets[r.bucketOf[k]].missing--;
  startDue(r);
  return {};
}

std::vector<at::Tensor> finish(const OpArgs& a) {
  auto& r = reduction();
  if (!r.active || a.in.size() != r.inputs.size()) throw std::runtime_error("gradient bucket: finish without a matching begin");
  for (size_t k = 0; k < r.inputs.size(); k++) {
    if (r.inputs[k].defined()) continue;
    r.inputs[k] = a.x(k);
    r.buckets[r.bucketOf[k]].missing--;
  }
  startDue(r);
  std::vector<at::Tensor> out(r.inputs.size());
  for (auto& b : r.buckets) {
    b.wait();
    int64_t off = 0;
    for (auto k : b.members) {
      const auto& t = r.inputs[k];
      auto opts = t.options().dtype(at::kFloat);
      auto o = dense(t) ? at::empty_strided(t.sizes(), t.strides(), opts) : at::empty(t.sizes(), opts);
      raw(o).copy_(b.flat.narrow(0, off, t.numel()));
      off += t.numel();
      out[k] = o;
    }
  }
  r = Reduction();
  return out;
}

std::vector<at::Tensor> abort(const OpArgs&) {
  auto& r = reduction();
  if (r.active) waitStarted(r);
  r = Reduction();
  return {};
}

Register r1("MlcPipeDistBucketsBegin", begin);
Register r2("MlcPipeDistBucketsAdd", add);
Register r3("MlcPipeDistBucketsFinish", finish);
Register r4("MlcPipeDistBucketsAbort", abort);

}  // namespace
}  // namespace mlc
