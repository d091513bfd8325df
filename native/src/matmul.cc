// BatchMatMul and _FusedMatMul on at::matmul (MKL/oneDNN sgemm), with tfjs' transpose flags and
// batch broadcasting.
//   BatchMatMul:  in [a, b];                        attr [transposeA, transposeB]
//   _FusedMatMul: in [a, b, bias?, preluWeights?];  attr [transposeA, transposeB, hasBias, activation, leakyAlpha]
#include "registry.h"

namespace mlc {
namespace {

at::Tensor product(const OpArgs& a) {
  auto x = a.flag(0) ? a.x(0).transpose(-2, -1) : a.x(0);
  auto y = a.flag(1) ? a.x(1).transpose(-2, -1) : a.x(1);
  return at::matmul(x, y);
}

std::vector<at::Tensor> batchMatMul(const OpArgs& a) { return {product(a)}; }

std::vector<at::Tensor> fusedMatMul(const OpArgs& a) {
  auto y = product(a).contiguous();
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
