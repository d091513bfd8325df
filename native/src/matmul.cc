// BatchMatMul and _FusedMatMul on at::matmul (MKL/oneDNN sgemm; oneDNN's bf16 matmul under mixed
// precision), with tfjs' transpose flags and batch broadcasting.
//   BatchMatMul:  in [a, b];                        attr [transposeA, transposeB]
//   _FusedMatMul: in [a, b, bias?, preluWeights?];  attr [transposeA, transposeB, hasBias, activation, leakyAlpha]
#include "registry.h"

namespace mlc {
namespace {

// Under mixed precision both operands are read cast to the compute type (the weights' cast is
// made once per version, precision.cc), and the product is in that type.
at::Tensor product(const OpArgs& a) {
  auto x = castForCompute(a.x(0)), y = castForCompute(a.x(1));
  if (a.flag(0)) x = x.transpose(-2, -1);
  if (a.flag(1)) y = y.transpose(-2, -1);
  return at::matmul(x, y);
}

std::vector<at::Tensor> batchMatMul(const OpArgs& a) { return {product(a)}; }

std::vector<at::Tensor> fusedMatMul(const OpArgs& a) {
  // The bias and the activation in float32 (autocast: only the product is low precision).
  auto y = product(a).to(at::kFloat).contiguous();
  bool hasBias = a.flag(2);
  if (hasBias) y.add_(a.x(2));
  int act = static_cast<int>(a.i64(3));
  at::Tensor prelu = act == 5 ? a.x(hasBias ? 3 : 2) : at::Tensor();
  return {activate(y, act, a.num(4), prelu)};
}

Register r1("BatchMatMul", batchMatMul);
Register r2("_FusedMatMul", fusedMatMul);

}  // namespace
}  // namespace mlc
