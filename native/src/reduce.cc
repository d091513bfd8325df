// Reductions over a list of axes: Sum, Mean, Max, Min, Prod, Any, All (attr [keepDims, n, axes...])
// and ArgMax/ArgMin (attr [axis]). No axes = the input unchanged (ATen would reduce everything).
// Sums of int32/bool stay int32, as in tfjs; Mean is float32.
#include "registry.h"

namespace mlc {
namespace {

using Out = std::vector<at::Tensor>;

#define REDUCE(reg, name, expr)                     \
  Register reg(name, [](const OpArgs& a) -> Out {   \
    const auto& x = a.x(0);                         \
    bool keep = a.flag(0);                          \
    auto axes = a.list(1);                          \
    if (axes.empty()) return {x.clone()};           \
    at::IntArrayRef dims(axes);                     \
    (void)keep;                                     \
    return {expr};                                  \
  })

at::Tensor sumOf(const at::Tensor& x, at::IntArrayRef dims, bool keep) {
  if (at::isFloatingType(x.scalar_type())) return x.sum(dims, keep);
  return x.sum(dims, keep, at::kInt);
}

at::Tensor extreme(const at::Tensor& x, at::IntArrayRef dims, bool keep, bool max) {
  // amax/amin reject bool; reduce 0/1 as uint8 and give bool back.
  if (x.scalar_type() == at::kBool) {
    auto b = x.to(at::kByte);
    return (max ? b.amax(dims, keep) : b.amin(dims, keep)).to(at::kBool);
  }
  return max ? x.amax(dims, keep) : x.amin(dims, keep);
}

at::Tensor productOf(const at::Tensor& x, at::IntArrayRef dims, bool keep) {
  auto out = at::isFloatingType(x.scalar_type()) ? x : x.to(at::kInt);
  for (auto it = dims.rbegin(); it != dims.rend(); ++it) out = out.prod(*it, keep);
  return out;
}

REDUCE(r1, "Sum", sumOf(x, dims, keep));
REDUCE(r2, "Mean", (at::isFloatingType(x.scalar_type()) ? x : x.to(at::kFloat)).mean(dims, keep));
REDUCE(r3, "Max", extreme(x, dims, keep, true));
REDUCE(r4, "Min", extreme(x, dims, keep, false));
REDUCE(r5, "Prod", productOf(x, [&] { std::vector<int64_t> d(dims.begin(), dims.end()); std::sort(d.begin(), d.end()); return d; }(), keep));
REDUCE(r6, "Any", extreme(x.to(at::kBool), dims, keep, true));
REDUCE(r7, "All", extreme(x.to(at::kBool), dims, keep, false));

Register a1("ArgMax", [](const OpArgs& a) -> Out { return {a.x(0).argmax(a.i64(0))}; });
Register a2("ArgMin", [](const OpArgs& a) -> Out { return {a.x(0).argmin(a.i64(0))}; });

}  // namespace
}  // namespace mlc
