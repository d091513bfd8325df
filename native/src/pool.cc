// 2-D pooling on NHWC tensors viewed as NCHW (registry.h's layouts), and its gradients.
// attr [filterH, filterW, strideH, strideW, padTop, padBottom, padLeft, padRight]
//   MaxPool: in [x];  MaxPoolGrad: in [dy, x];  AvgPool: in [x];  AvgPoolGrad: in [dy, x]
// Max pooling pads with -inf, average pooling leaves padded cells out of the count (tfjs' rule);
// asymmetric padding is applied explicitly.
#include <limits>

#include "registry.h"

namespace mlc {
namespace {

struct Window {
  std::vector<int64_t> kernel, stride;
  int64_t top, bottom, left, right;
  bool symmetric() const { return top == bottom && left == right; }
};

Window window(const OpArgs& a) { return {a.ints(0, 2), a.ints(2, 2), a.i64(4), a.i64(5), a.i64(6), a.i64(7)}; }

at::Tensor padMax(const at::Tensor& v, const Window& w) {
  return at::constant_pad_nd(v, {w.left, w.right, w.top, w.bottom}, -std::numeric_limits<double>::infinity())
      .contiguous();
}

std::vector<int64_t> padding(const Window& w) { return w.symmetric() ? std::vector<int64_t>{w.top, w.left} : std::vector<int64_t>{0, 0}; }

constexpr int kArgmax = 3;  // derived-cache kind of a max pool output's indices

// The forward keeps the argmax indices with its output (the gradient's `output` input is the same
// tensor), so the gradient does not pool again.
std::vector<at::Tensor> maxPool(const OpArgs& a) {
  auto w = window(a);
  auto v = nchw(a.x(0));
  if (!w.symmetric()) v = padMax(v, w);
  auto pooled = at::max_pool2d_with_indices(v, w.kernel, w.stride, padding(w), {1, 1}, false);
  auto y = nhwc(std::get<0>(pooled));
  storeDerived(y, kArgmax, std::get<1>(pooled));
  return {y};
}

// in [dy, input, output?]
std::vector<at::Tensor> maxPoolGrad(const OpArgs& a) {
  auto w = window(a);
  auto v = nchw(a.x(1));
  if (!w.symmetric()) v = padMax(v, w);
  at::Tensor indices = a.in.size() > 2 ? findDerived(a.x(2), kArgmax) : at::Tensor();
  if (!indices.defined()) indices = std::get<1>(at::max_pool2d_with_indices(v, w.kernel, w.stride, padding(w), {1, 1}, false));
  auto dx = at::max_pool2d_with_indices_backward(nchw(a.x(0)), v, w.kernel, w.stride, padding(w), {1, 1}, false, indices);
  if (!w.symmetric()) dx = dx.narrow(2, w.top, a.x(1).size(1)).narrow(3, w.left, a.x(1).size(2));
  return {dx.permute({0, 2, 3, 1})};
}

// Average pooling with asymmetric padding: sum pooling over the zero-padded input divided by the
// count of real cells in each window (the pooled ones-mask).
at::Tensor paddedCounts(const at::Tensor& like, const Window& w) {
  auto ones = at::ones({1, 1, like.size(2), like.size(3)}, like.options());
  auto padded = at::constant_pad_nd(ones, {w.left, w.right, w.top, w.bottom}, 0);
  return at::avg_pool2d(padded, w.kernel, w.stride, {0, 0}, false, true) * static_cast<double>(w.kernel[0] * w.kernel[1]);
}

std::vector<at::Tensor> avgPool(const OpArgs& a) {
  auto w = window(a);
  auto v = nchw(a.x(0));
  if (w.symmetric()) return {at::avg_pool2d(v, w.kernel, w.stride, padding(w), false, false).permute({0, 2, 3, 1})};
  auto padded = at::constant_pad_nd(v, {w.left, w.right, w.top, w.bottom}, 0).contiguous();
  auto sums = at::avg_pool2d(padded, w.kernel, w.stride, {0, 0}, false, true) * static_cast<double>(w.kernel[0] * w.kernel[1]);
  return {(sums / paddedCounts(v, w)).permute({0, 2, 3, 1})};
}

std::vector<at::Tensor> avgPoolGrad(const OpArgs& a) {
  auto w = window(a);
  auto dy = nchw(a.x(0));
  auto v = nchw(a.x(1));
  if (w.symmetric()) {
    return {at::avg_pool2d_backward(dy, v, w.kernel, w.stride, padding(w), false, false, c10::nullopt).permute({0, 2, 3, 1})};
  }
  auto padded = at::constant_pad_nd(v, {w.left, w.right, w.top, w.bottom}, 0).contiguous();
  double area = static_cast<double>(w.kernel[0] * w.kernel[1]);
  auto scaled = dy * area / paddedCounts(v, w);
  auto dx = at::avg_pool2d_backward(scaled, padded, w.kernel, w.stride, {0, 0}, false, true, c10::nullopt);
  dx = dx.narrow(2, w.top, v.size(2)).narrow(3, w.left, v.size(3));
  return {dx.permute({0, 2, 3, 1})};
}

Register r1("MaxPool", maxPool);
Register r2("MaxPoolGrad", maxPoolGrad);
Register r3("AvgPool", avgPool);
Register r4("AvgPoolGrad", avgPoolGrad);

}  // namespace
}  // namespace mlc
