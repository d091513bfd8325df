// Batch normalisation.
//   FusedBatchNorm (tfjs batchNorm, inference form): in [x, mean, variance, offset?, scale?];
//     attr [varianceEpsilon, hasOffset, hasScale]. Per-channel statistics of the last axis take one
//     pass (y = x·a + b with a = γ/√(σ²+ε), b = β − μ·a); anything else broadcasts.
//   MlcPipeBatchNormTrain: in [x (NHWC or [N, C]), scale, offset]; attr [epsilon] ->
//     [y, batch mean, biased batch variance, inverse std] (at::native_batch_norm).
//   MlcPipeBatchNormTrainGrad: in [dy, x, scale, mean, invstd]; attr [epsilon] -> [dx, dscale, doffset]
//     (at::native_batch_norm_backward: the whole gradient, the batch statistics' part included).
#include "registry.h"

namespace mlc {
namespace {

// x viewed with channels second (what ATen's batch norm expects): NHWC -> NCHW view.
at::Tensor channelsSecondView(const at::Tensor& x) { return x.dim() == 4 ? nchw(x) : x; }
at::Tensor channelsLast(const at::Tensor& y) { return y.dim() == 4 ? y.permute({0, 2, 3, 1}) : y; }

std::vector<at::Tensor> fusedBatchNorm(const OpArgs& a) {
  const auto& x = a.x(0);
  const auto& mean = a.x(1);
  const auto& var = a.x(2);
  double eps = a.num(0);
  bool hasOffset = a.flag(1), hasScale = a.flag(2);
  size_t k = 3;
  at::Tensor offset = hasOffset ? a.x(k++) : at::Tensor();
  at::Tensor scale = hasScale ? a.x(k++) : at::Tensor();
  auto inv = (var + eps).rsqrt_();
  auto mul = hasScale ? inv * scale : inv;
  auto add = hasOffset ? offset - mean * mul : -mean * mul;
  int64_t c = x.size(-1);
  if (mul.dim() <= 1 && mul.numel() == c && add.numel() == c) return {at::addcmul(add.reshape({c}), x, mul.reshape({c}))};
  return {x * mul + add};
}

std::vector<at::Tensor> batchNormTrain(const OpArgs& a) {
  auto v = channelsSecondView(a.x(0));
  double eps = a.num(0);
  auto out = at::native_batch_norm(v, a.x(1), a.x(2), c10::nullopt, c10::nullopt, true, 0.0, eps);
  const auto& mean = std::get<1>(out);
  const auto& invstd = std::get<2>(out);
  auto variance = invstd.pow(-2) - eps;
  return {channelsLast(std::get<0>(out)), mean, variance.clamp_min_(0), invstd};
}

std::vector<at::Tensor> batchNormTrainGrad(const OpArgs& a) {
  auto dy = channelsSecondView(a.x(0));
  auto v = channelsSecondView(a.x(1));
  auto out = at::native_batch_norm_backward(dy, v, a.x(2), c10::nullopt, c10::nullopt, a.x(3), a.x(4), true, a.num(0),
                                            {true, true, true});
  return {channelsLast(std::get<0>(out)), std::get<1>(out), std::get<2>(out)};
}

Register r1("FusedBatchNorm", fusedBatchNorm);
Register r2("MlcPipeBatchNormTrain", batchNormTrain);
Register r3("MlcPipeBatchNormTrainGrad", batchNormTrainGrad);

}  // namespace
}  // namespace mlc
