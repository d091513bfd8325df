// 2-D pooling on NHWC tensors viewed as NCHW (registry.h's layouts), and its gradients.
// attr [filterH, filterW, strideH, strideW, padTop, padBottom, padLeft, padRight]
//   MaxPool: in [x];  MaxPoolGrad: in [dy, x];  AvgPool: in [x];  AvgPoolGrad: in [dy, x]
// Max pooling pads with -inf, average pooling leaves padded cells out of the count (tfjs' rule).
// Asymmetric padding: max pooling with one extra row/column at the bottom/right (tfjs' 'same' on an
// even size: a 3x3/2 pool of 24x72 pads 0 top, 1 bottom) runs as ATen's ceil mode, any other
// asymmetric case is padded explicitly (a copy).
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

// Whether the window's padding is the symmetric (top, left) padding plus at most one row/column at
// the bottom/right that ATen's ceil mode adds: the windows then start at the same places, and the
// ceil-mode window that runs past the input is clipped to it, as -inf padding would make it.
// PyTorch's ceil-mode rule (the last window starts inside the input or its top/left padding) and
// its limit padding <= kernel / 2 are checked through the output size.
int64_t ceilModeSize(int64_t in, int64_t k, int64_t s, int64_t p) {
  int64_t out = (in + 2 * p - k + s - 1) / s + 1;
  if ((out - 1) * s >= in + p) out--;
  return out;
}
bool ceilModeFits(const Window& w, int64_t h, int64_t wd) {
  if (w.bottom < w.top || w.bottom > w.top + 1 || w.right < w.left || w.right > w.left + 1) return false;
  if (2 * w.top > w.kernel[0] || 2 * w.left > w.kernel[1]) return false;
  int64_t outH = (h + w.top + w.bottom - w.kernel[0]) / w.stride[0] + 1;
  int64_t outW = (wd + w.left + w.right - w.kernel[1]) / w.stride[1] + 1;
  return ceilModeSize(h, w.kernel[0], w.stride[0], w.top) == outH && ceilModeSize(wd, w.kernel[1], w.stride[1], w.left) == outW;
}

// How a max pool runs: on the input as is (symmetric padding, or ceil mode) or on an explicitly
// padded copy.
struct MaxPlan {
  bool padCopy, ceil;
  std::vector<int64_t> pad;
};
MaxPlan maxPlan(const Window& w, const at::Tensor& nhwcInput) {
  if (w.symmetric()) return {false, false, {w.top, w.left}};
  if (ceilModeFits(w, nhwcInput.size(1), nhwcInput.size(2))) return {false, true, {w.top, w.left}};
  return {true, false, {0, 0}};
}

constexpr int kArgmax = 3;  // derived-cache kind of a max pool output's indices

// The forward keeps the argmax indices with its output (the gradient's `output` input is the same
// tensor), so the gradient does not pool again.
std::vector<at::Tensor> maxPool(const OpArgs& a) {
  auto w = window(a);
  auto plan = maxPlan(w, a.x(0));
  auto v = nchw(a.x(0));
  if (plan.padCopy) v = padMax(v, w);
  auto pooled = at::max_pool2d_with_indices(v, w.kernel, w.stride, plan.pad, {1, 1}, plan.ceil);
  auto y = nhwc(std::get<0>(pooled));
  storeDerived(y, kArgmax, std::get<1>(pooled));
  return {y};
}

// in [dy, input, output?]
std::vector<at::Tensor> maxPoolGrad(const OpArgs& a) {
  auto w = window(a);
  auto plan = maxPlan(w, a.x(1));
  auto v = nchw(a.x(1));
  if (plan.padCopy) v = padMax(v, w);
  at::Tensor indices = a.in.size() > 2 ? findDerived(a.x(2), kArgmax) : at::Tensor();
  if (!indices.defined()) indices = std::get<1>(at::max_pool2d_with_indices(v, w.kernel, w.stride, plan.pad, {1, 1}, plan.ceil));
  auto dx = at::max_pool2d_with_indices_backward(nchw(a.x(0)), v, w.kernel, w.stride, plan.pad, {1, 1}, plan.ceil, indices);
  if (plan.padCopy) dx = dx.narrow(2, w.top, a.x(1).size(1)).narrow(3, w.left, a.x(1).size(2));
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
