// Mixed precision (autocast), PyTorch's semantics: with a low compute type set (bf16 on CPUs,
// fp16 or bf16 on CUDA), convolutions and matmuls and their gradients read their float32 inputs
// cast to it and compute in it; everything else (batch norm and its statistics, softmax, losses,
// reductions, the optimizer and the weights it updates) stays float32, and every op result is
// float32 again when it reaches tfjs (normalise in addon.cc). The master weights are the float32
// tensors tfjs holds; their low-precision copies are derived tensors (registry.h), made once per
// weight version: the forward conv and its input gradient of a step share one cast filter, every
// batch of an inference pass reuses it, and the optimizer's in-place update (forgetDerived, and
// the version check in addon.cc) makes the next step cast afresh. An activation's cast copy is
// kept with it the same way, so a conv's forward pass and its filter gradient read one copy.
#include <stdexcept>

#include "registry.h"

namespace mlc {

namespace {
at::ScalarType& compute() {
  static at::ScalarType type = at::kFloat;
  return type;
}

// Derived-cache kinds of the cast copies (1-9: conv.cc, addon.cc, pool.cc).
constexpr int kCast = 20, kCastNchw = 21;

at::Tensor castAs(const at::Tensor& t) { return t.to(compute()); }  // keeps t's strides (dense)
at::Tensor castNchw(const at::Tensor& x) {
  countLayoutCopy(x);
  return nchw(x).to(compute(), false, false, at::MemoryFormat::Contiguous);
}

// `make(source)` cached with `source`, remade when the compute type changed since.
at::Tensor cachedCast(const at::Tensor& source, int kind, at::Tensor (*make)(const at::Tensor&)) {
  auto found = findDerived(source, kind);
  if (found.defined() && found.scalar_type() == compute()) return found;
  auto t = make(source);
  storeDerived(source, kind, t);
  return t;
}
}  // namespace

at::ScalarType computeType() { return compute(); }

void setComputeType(at::ScalarType type) {
  if (type != at::kFloat && type != at::kBFloat16 && type != at::kHalf) throw std::invalid_argument("compute type must be float32, bfloat16 or float16");
  if (type == at::kHalf && currentDevice().is_cpu()) throw std::invalid_argument("fp16 compute is for CUDA devices; on a CPU use bf16");
  compute() = type;
}

bool autocasting(const at::Tensor& t) { return compute() != at::kFloat && t.scalar_type() == at::kFloat; }

at::Tensor castForCompute(const at::Tensor& t) {
  if (!autocasting(t)) return t;
  return cachedCast(t, kCast, castAs);
}

at::Tensor castForComputeNchw(const at::Tensor& x) {
  if (!autocasting(x)) return nchwContiguous(x);
  auto v = nchw(x);
  if (v.is_contiguous()) return castForCompute(x).permute({0, 3, 1, 2});  // NCHW-backed: the cast keeps it so
  return cachedCast(x, kCastNchw, castNchw);
}

}  // namespace mlc
