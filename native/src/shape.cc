// Shape and data-movement ops: Reshape, Concat, Slice, PadV2, Transpose, Tile, SplitV, Pack, Unpack,
// Reverse, GatherV2, OneHot, Fill, Range. Outputs are fresh tensors (Reshape: a view where one
// exists), laid out as registry.h's contract says.
//   Concat [axis] · Slice [rank, begin..., size...] · PadV2 [value, n, pads...] (ATen order: last
//   axis first) · Transpose [n, perm...] · Tile [n, reps...] · SplitV [axis, n, sizes...] ·
//   Pack [axis] · Unpack [axis] · Reverse [n, axes...] · GatherV2 in [x, indices] [axis] ·
//   OneHot in [indices] [depth, on, off, dtype] · Fill [dtype, value, n, shape...] ·
//   Range [start, step, count, dtype] · MlcPipeLayout in [x] -> int32 scalar: bit 0 = row-major
//   contiguous, bit 1 = channels-second backed, bit 2 = OIHW backed (registry.h; tests, debugging)
#include <algorithm>

#include "registry.h"

namespace mlc {
namespace {

using Out = std::vector<at::Tensor>;

// Reshape [n, shape...]: a view of the same buffer (tfjs tensors are immutable; in-place optimizer
// updates check that no view shares their buffer).
// A channels-second backed input generally has no view of another shape: reshape copies then.
Out reshape(const OpArgs& a) { return {a.x(0).reshape(a.list(0))}; }

// Channels-second backed inputs are joined as NCHW (axis mapped), so the result stays so.
Out concat(const OpArgs& a) {
  int64_t axis = a.i64(0);
  bool second = !a.in.empty() && std::all_of(a.in.begin(), a.in.end(), [](const at::Tensor& t) { return channelsSecond(t); });
  if (!second) return {at::cat(a.in, axis)};
  if (axis < 0) axis += 4;
  static const int64_t toNchw[4] = {0, 2, 3, 1};
  std::vector<at::Tensor> views;
  for (const auto& t : a.in) views.push_back(nchw(t));
  return {nhwc(at::cat(views, toNchw[axis]))};
}

Out slice(const OpArgs& a) {
  auto rank = static_cast<size_t>(a.i64(0));
  auto begin = a.ints(1, rank);
  auto size = a.ints(1 + rank, rank);
  auto t = a.x(0);
  for (size_t d = 0; d < rank; d++) t = t.narrow(static_cast<int64_t>(d), begin[d], size[d]);
  return {t};  // a view; the addon compacts it (normalise)
}

Out pad(const OpArgs& a) { return {at::constant_pad_nd(a.x(0), a.list(1), a.num(0))}; }

Out transpose(const OpArgs& a) { return {a.x(0).permute(a.list(0)).contiguous()}; }

Out tile(const OpArgs& a) { return {a.x(0).repeat(a.list(0))}; }

Out splitV(const OpArgs& a) {
  auto parts = a.x(0).split_with_sizes(a.list(1), a.i64(0));
  Out out;
  for (auto& p : parts) out.push_back(p);  // views; the addon compacts them (normalise)
  return out;
}

Out pack(const OpArgs& a) { return {at::stack(a.in, a.i64(0))}; }

Out unpack(const OpArgs& a) {
  Out out;
  for (auto& p : a.x(0).unbind(a.i64(0))) out.push_back(p.contiguous());
  return out;
}

Out reverse(const OpArgs& a) { return {a.x(0).flip(a.list(0))}; }

Out gather(const OpArgs& a) {
  const auto& x = a.x(0);
  const auto& idx = a.x(1);
  int64_t axis = a.i64(0);
  auto picked = x.index_select(axis, idx.reshape({-1}).to(at::kLong));
  std::vector<int64_t> shape(x.sizes().begin(), x.sizes().begin() + axis);
  for (auto d : idx.sizes()) shape.push_back(d);
  for (auto d = axis + 1; d < x.dim(); d++) shape.push_back(x.size(d));
  return {picked.reshape(shape)};
}

// Indices outside [0, depth) (the -1 of an unknown label) give a row of `off`, as in tfjs.
Out oneHot(const OpArgs& a) {
  const auto& idx = a.x(0);
  auto depth = a.i64(0);
  auto type = scalarTypeOf(static_cast<int>(a.i64(3)));
  auto classes = at::arange(depth, idx.options().dtype(idx.scalar_type()));
  auto hit = idx.unsqueeze(-1) == classes;
  auto opts = idx.options().dtype(type);
  return {at::where(hit, at::scalar_tensor(a.num(1), opts), at::scalar_tensor(a.num(2), opts))};
}

Out fill(const OpArgs& a) {
  auto type = scalarTypeOf(static_cast<int>(a.i64(0)));
  return {at::full(a.list(2), a.num(1), at::TensorOptions().dtype(type).device(currentDevice()))};
}

Out range(const OpArgs& a) {
  auto type = scalarTypeOf(static_cast<int>(a.i64(3)));
  auto opts = at::TensorOptions().dtype(at::kDouble).device(currentDevice());
  auto count = a.i64(2);
  return {(at::arange(count, opts) * a.num(1) + a.num(0)).to(type)};
}

Register r0("Reshape", reshape);
Register r1("Concat", concat);
Register r2("Slice", slice);
Register r3("PadV2", pad);
Register r4("Transpose", transpose);
Register r5("Tile", tile);
Register r6("SplitV", splitV);
Register r7("Pack", pack);
Register r8("Unpack", unpack);
Register r9("Reverse", reverse);
Register r10("GatherV2", gather);
Register r11("OneHot", oneHot);
Register r12("Fill", fill);
Register r13("Range", range);
Register r14("MlcPipeLayout", [](const OpArgs& a) -> Out {
  const auto& x = a.x(0);
  bool oihwBacked = x.dim() == 4 && x.permute({3, 2, 0, 1}).is_contiguous();
  int code = (x.is_contiguous() ? 1 : 0) | (channelsSecond(x) ? 2 : 0) | (oihwBacked ? 4 : 0);
  return {at::scalar_tensor(code, at::TensorOptions().dtype(at::kInt).device(x.device()))};
});

}  // namespace
}  // namespace mlc
