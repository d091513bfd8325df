// Convolutions: Conv2D, FusedConv2D, DepthwiseConv2dNative, FusedDepthwiseConv2D and their input
// and filter gradients, on ATen's convolution / convolution_backward (oneDNN on CPU), with NHWC
// activations as NCHW (channels-second backed, registry.h).
//
// Attribute layout shared by every op here (src/engine/native/kernels/conv.ts writes it):
//   [strideH, strideW, dilationH, dilationW, padTop, padBottom, padLeft, padRight, groupsMode, ...]
// groupsMode 0 = regular conv (filter HWIO), 1 = depthwise (filter [kh, kw, C, multiplier]).
// Asymmetric ('same' with an even total) padding pads the input explicitly and convolves 'valid'.
#include <ATen/Parallel.h>

#include "registry.h"

namespace mlc {
namespace {

struct Geometry {
  std::vector<int64_t> stride, dilation;
  int64_t top, bottom, left, right;
  bool depthwise;
  bool symmetric() const { return top == bottom && left == right; }
  std::vector<int64_t> padding() const { return symmetric() ? std::vector<int64_t>{top, left} : std::vector<int64_t>{0, 0}; }
};

Geometry geometry(const OpArgs& a) {
  return {a.ints(0, 2), a.ints(2, 2), a.i64(4), a.i64(5), a.i64(6), a.i64(7), a.flag(8)};
}

// Filter as OIHW: HWIO -> [O, I, kh, kw]; depthwise [kh, kw, C, m] -> [C*m, 1, kh, kw].
at::Tensor oihw(const at::Tensor& f, bool depthwise) {
  if (!depthwise) return f.permute({3, 2, 0, 1});
  return f.permute({2, 3, 0, 1}).reshape({f.size(2) * f.size(3), 1, f.size(0), f.size(1)});
}

at::Tensor packRegular(const at::Tensor& f) { return oihw(f, false).contiguous(); }
at::Tensor packDepthwise(const at::Tensor& f) { return oihw(f, true).contiguous(); }
// The same, cast to the compute type in the one copy (mixed precision, precision.cc).
at::Tensor castRegular(const at::Tensor& f) { return oihw(f, false).to(computeType(), false, false, at::MemoryFormat::Contiguous); }
at::Tensor castDepthwise(const at::Tensor& f) { return oihw(f, true).to(computeType(), false, false, at::MemoryFormat::Contiguous); }
constexpr int kCastRegular = 8, kCastDepthwise = 9;  // derived-cache kinds

// The packed filter cast to the compute type, made once per filter version (the optimizer's
// in-place update drops it), remade if the compute type changed since.
at::Tensor castFilter(const at::Tensor& f, bool depthwise) {
  int kind = depthwise ? kCastDepthwise : kCastRegular;
  auto found = findDerived(f, kind);
  if (found.defined() && found.scalar_type() == computeType()) return found;
  auto w = depthwise ? castDepthwise(f) : castRegular(f);
  storeDerived(f, kind, w);
  return w;
}

// The filter in the layout ATen's conv wants: a view when the filter is already stored OIHW (a
// trained filter, registry.h), else a copy made once per filter tensor (the forward pass and the
// input gradient of a step, and every batch of an inference pass, share it).
at::Tensor packedFilter(const at::Tensor& f, bool depthwise) {
  if (autocasting(f)) return castFilter(f, depthwise);
  auto view = oihw(f, depthwise);
  if (view.is_contiguous()) return view;
  return cachedDerived(f, depthwise ? 2 : 1, depthwise ? packDepthwise : packRegular);
}

// An OIHW filter gradient as a tfjs-shaped filter (HWIO; depthwise [kh, kw, C, m]), still stored
// OIHW (registry.h): a view, no copy.
at::Tensor tfjsFilter(const at::Tensor& w, const std::vector<int64_t>& shape, bool depthwise) {
  if (!depthwise) return w.permute({2, 3, 1, 0});
  return w.reshape({shape[2], shape[3], shape[0], shape[1]}).permute({2, 3, 0, 1});
}

int64_t groupsOf(const Geometry& g, int64_t inChannels) { return g.depthwise ? inChannels : 1; }

// The dilation to give ATen. ATen 1.13 runs a 1x1 stride-1 conv of a batch under 16 on one thread
// with its THNN kernel ("faster when single-threaded", it assumes), which multiplies through the
// system BLAS — Debian's reference BLAS here: measured with PyTorch itself, batch 4, 64->128 at
// 16x16: 6.5 vs 0.4 ms forward, 14.4 vs 0.8 ms for both gradients against oneDNN; batch 15,
// 256->512 at 4x4: 19.3 vs 0.9 and 28.8 vs 2.1 ms. A 1x1 kernel computes the same at any
// dilation, and ATen sends every dilated conv to oneDNN: such convs say dilation 2 (on the CPU).
std::vector<int64_t> atenDilation(const Geometry& g, const at::Tensor& input, int64_t kh, int64_t kw, int64_t batch) {
  bool plain1x1 = input.is_cpu() && kh == 1 && kw == 1 && g.stride[0] == 1 && g.stride[1] == 1 && g.dilation[0] == 1 && g.dilation[1] == 1;
  if (plain1x1 && batch < 16 && at::get_num_threads() == 1) return {2, 2};
  return g.dilation;
}

// Whether x is an image batch from JS — row-major NHWC, i.e. channels-last memory, with at most 4
// channels — which the conv then reads channels-last as it is, and whose output stays
// channels-last (row-major) for what follows a stem: batch norm, max pooling and ReLU, which ATen
// runs much faster channels-last. Measured with PyTorch 1.13 (conv 3->64 3x3/2, batch norm, 3x3/2
// max pool, ReLU): 64x64 b16 one thread 19.4 -> 3.3 ms inference, 30.4 -> 17.3 ms training step;
// 48x144 b32 74 -> 33 and 128 -> 75 ms. The convolutions after it read one NCHW copy
// (nchwContiguous), where PyTorch's NCHW kernels are faster. CPU only: on a GPU, ATen's own choice.
bool stemInput(const at::Tensor& x, const Geometry& g) {
  return !g.depthwise && x.is_cpu() && x.dim() == 4 && x.size(3) <= 4 && x.is_contiguous() && !channelsSecond(x);
}

// x as ATen's conv reads it: plain NCHW, or channels-last for a stem's input; padded explicitly
// when the padding is asymmetric. (An NCHW input with a channels-last weight or the reverse would
// make ATen pick its slower channels-last path.)
at::Tensor paddedInput(const at::Tensor& x, const Geometry& g) {
  bool stem = stemInput(x, g);
  auto v = stem ? nchw(castForCompute(x)) : castForComputeNchw(x);
  if (g.symmetric()) return v;
  auto format = stem ? at::MemoryFormat::ChannelsLast : at::MemoryFormat::Contiguous;
  return at::constant_pad_nd(v, {g.left, g.right, g.top, g.bottom}, 0).contiguous(format);
}

// A filter that a second forward conv uses without being written in between (inference: the
// same weights for every batch) keeps oneDNN's blocked copy of itself, so later calls skip the
// weight reorder that every ATen conv call makes (ResNet-18 64x64 b16, one thread: 12 of 117 ms a
// batch, 3 ms for each 512x512x3x3 filter; measured with DNNL_VERBOSE). A training step writes its
// filters in place after one forward use, which drops the mark (forgetDerived), so training never
// keeps blocked copies. The blocked layout is chosen by the weights' shape, stride, padding and
// dilation; were it not what the primitive wants, oneDNN would reorder it (still correct).
// Under mixed precision the blocked copy is of the cast filter, kept under its own kind.
constexpr int kUsedOnce = 6, kBlockedFilter = 7, kBlockedLowFilter = 10;  // derived-cache kinds

at::Tensor blockedFilter(const at::Tensor& f, const at::Tensor& oihw, const Geometry& g) {
  int kind = oihw.scalar_type() == at::kFloat ? kBlockedFilter : kBlockedLowFilter;
  auto blocked = findDerived(f, kind);
  if (blocked.defined() && blocked.scalar_type() != oihw.scalar_type()) blocked = at::Tensor();
  if (blocked.defined()) return blocked;
  if (!findDerived(f, kUsedOnce).defined()) {
    storeDerived(f, kUsedOnce, at::empty({0}, f.options()));
    return at::Tensor();
  }
  blocked = at::mkldnn_reorder_conv2d_weight(oihw.to_mkldnn(), g.padding(), g.stride, g.dilation, 1);
  storeDerived(f, kind, blocked);
  return blocked;
}

at::Tensor forward(const at::Tensor& x, const at::Tensor& f, const Geometry& g, const c10::optional<at::Tensor>& bias) {
  auto w = packedFilter(f, g.depthwise);
  auto input = paddedInput(x, g);
  bool mkldnnType = input.scalar_type() == at::kFloat || input.scalar_type() == at::kBFloat16;
  if (!g.depthwise && input.is_cpu() && mkldnnType && input.is_contiguous()) {
    auto blocked = blockedFilter(f, w, g);
    if (blocked.defined()) return nhwc(at::mkldnn_convolution(input, blocked, bias, g.padding(), g.stride, g.dilation, 1));
  }
  auto y = at::convolution(input, w, bias, g.stride, g.padding(), atenDilation(g, input, w.size(2), w.size(3), input.size(0)), false, {0, 0},
                           groupsOf(g, x.size(3)));
  return nhwc(y);
}

// Conv2D / DepthwiseConv2dNative: in [x, filter].
std::vector<at::Tensor> conv(const OpArgs& a) {
  return {forward(a.x(0), a.x(1), geometry(a), c10::nullopt)};
}

// FusedConv2D / FusedDepthwiseConv2D: in [x, filter, bias?, preluWeights?];
// attr [...geometry, hasBias, activation, leakyAlpha].
std::vector<at::Tensor> fusedConv(const OpArgs& a) {
  auto g = geometry(a);
  bool hasBias = a.flag(9);
  c10::optional<at::Tensor> bias;
  if (hasBias) bias = castForCompute(a.x(2)).reshape({-1});
  auto y = forward(a.x(0), a.x(1), g, bias);
  int act = static_cast<int>(a.i64(10));
  at::Tensor prelu = act == 5 ? a.x(hasBias ? 3 : 2) : at::Tensor();
  return {activate(y, act, a.num(11), prelu)};
}

// Conv2DBackpropInput / DepthwiseConv2dNativeBackpropInput: in [dy, filter];
// attr [...geometry, N, H, W, C] (the input shape).
std::vector<at::Tensor> backpropInput(const OpArgs& a) {
  auto g = geometry(a);
  auto shape = a.ints(9, 4);
  const auto& dy = a.x(0);
  auto w = packedFilter(a.x(1), g.depthwise);
  int64_t ph = shape[1] + (g.symmetric() ? 0 : g.top + g.bottom), pw = shape[2] + (g.symmetric() ? 0 : g.left + g.right);
  auto input = at::empty({shape[0], shape[3], ph, pw}, w.options());
  auto grads = at::convolution_backward(castForComputeNchw(dy), input, w, c10::nullopt, g.stride, g.padding(),
                                        atenDilation(g, dy, w.size(2), w.size(3), shape[0]), false, {0, 0}, groupsOf(g, shape[3]), {true, false, false});
  auto dx = std::get<0>(grads);
  if (!g.symmetric()) dx = dx.narrow(2, g.top, shape[1]).narrow(3, g.left, shape[2]);
  return {dx.permute({0, 2, 3, 1})};
}

// The filter gradient of a regular conv whose output has at most this many positions per image
// (a ResNet's last stages: 2x2 at 64x64, 2x5 at 48x144) is computed as one GEMM,
// dW[O, C*kh*kw] = dy[O, N*L] · cols[N*L, C*kh*kw] (cols = im2col of the input), run by oneDNN's
// jit 1x1 convolution on channels-last views so that it writes dW in OIHW order directly. For these
// shapes oneDNN 2.6's own filter gradient picks its im2col-GEMM kernel plus a plain-to-plain copy of
// the whole gradient, and gets slower with more threads: 512->512 3x3 at 2x2, batch 16, measured
// with PyTorch 1.13 itself: 37 ms on one thread, 34 on two, against 8.9 and 3.7 ms this way; at 2x5,
// batch 32: 39/34 ms against 27/14 ms. At 4x4 and larger oneDNN's direct kernels win.
// (1x1 filters keep oneDNN's 1x1 kernel.)
constexpr int64_t kSmallOutput = 10;

at::Tensor smallOutputFilterGrad(const at::Tensor& input, const at::Tensor& dy, const Geometry& g, int64_t kh, int64_t kw) {
  int64_t n = input.size(0), c = input.size(1), o = dy.size(1), l = dy.size(2) * dy.size(3);
  auto cols = at::im2col(input, {kh, kw}, g.dilation, g.padding(), g.stride);        // [N, C*kh*kw, L]
  auto weight = cols.permute({1, 0, 2}).reshape({c * kh * kw, n * l, 1, 1});          // [C*kh*kw, N*L] (a copy)
  auto rows = dy.reshape({n, o, l}).permute({1, 0, 2}).reshape({o, n * l});          // [O, N*L] (a copy)
  auto in = rows.view({1, o, 1, n * l}).permute({0, 3, 1, 2});                        // [1, N*L, O, 1], channels-last
  auto out = at::mkldnn_convolution(in, weight, c10::nullopt, {0, 0}, {1, 1}, {1, 1}, 1);  // [1, C*kh*kw, O, 1]
  auto w = out.permute({0, 2, 3, 1});                                                  // [1, O, 1, C*kh*kw]
  if (!w.is_contiguous()) w = w.contiguous();
  return w.view({o, c, kh, kw});
}

// Conv2DBackpropFilter / DepthwiseConv2dNativeBackpropFilter: in [x, dy];
// attr [...geometry, kh, kw, inC, outC or multiplier] (the tfjs filter shape).
std::vector<at::Tensor> backpropFilter(const OpArgs& a) {
  auto g = geometry(a);
  auto fshape = a.ints(9, 4);
  const auto& x = a.x(0);
  const auto& dy = a.x(1);
  if (!g.depthwise && fshape[0] * fshape[1] > 1 && x.is_cpu() && x.scalar_type() == at::kFloat && dy.scalar_type() == at::kFloat && dy.size(1) * dy.size(2) <= kSmallOutput) {
    return {tfjsFilter(smallOutputFilterGrad(paddedInput(x, g), castForComputeNchw(dy), g, fshape[0], fshape[1]), fshape, false)};
  }
  std::vector<int64_t> wshape = g.depthwise ? std::vector<int64_t>{fshape[2] * fshape[3], 1, fshape[0], fshape[1]}
                                            : std::vector<int64_t>{fshape[3], fshape[2], fshape[0], fshape[1]};
  auto input = paddedInput(x, g);
  auto weight = at::empty(wshape, input.options());
  bool stem = stemInput(x, g);
  // A stem's gradient runs channels-last like its forward (ATen converts dy), and comes back OIHW.
  auto grads = at::convolution_backward(stem ? nchw(castForCompute(dy)) : castForComputeNchw(dy), input, weight, c10::nullopt, g.stride, g.padding(),
                                        atenDilation(g, x, fshape[0], fshape[1], x.size(0)), false, {0, 0}, groupsOf(g, x.size(3)),
                                        {false, true, false});
  auto dw = std::get<1>(grads);
  if (stem && !dw.is_contiguous()) dw = dw.contiguous();
  return {tfjsFilter(dw, fshape, g.depthwise)};
}

Register r1("Conv2D", conv);
Register r2("FusedConv2D", fusedConv);
Register r3("Conv2DBackpropInput", backpropInput);
Register r4("Conv2DBackpropFilter", backpropFilter);

}  // namespace
}  // namespace mlc
