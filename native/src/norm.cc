// Batch normalisation.
//   FusedBatchNorm (tfjs batchNorm, inference form): in [x, mean, variance, offset?, scale?];
//     attr [varianceEpsilon, hasOffset, hasScale]. Per-channel statistics of the last axis take one
//     pass (y = x·a + b with a = γ/√(σ²+ε), b = β − μ·a); anything else broadcasts.
//   MlcPipeBatchNormTrain: in [x (NHWC or [N, C]), scale, offset]; attr [epsilon] ->
//     [y, batch mean, biased batch variance, inverse std] (at::native_batch_norm).
//   MlcPipeBatchNormTrainGrad: in [dy, x, scale, mean, invstd]; attr [epsilon] -> [dx, dscale, doffset]
//     (at::native_batch_norm_backward: the whole gradient, the batch statistics' part included).
//   MlcPipeMovingAverages: in [movingMean, movingVariance, mean, variance]; attr [momentum, inPlace] ->
//     moving <- moving - (moving - batch)*(1 - momentum), tfjs-layers' formula in its order of
//     operations, for both statistics in one call. With inPlace set and neither buffer shared the
//     update is written into them and the op returns nothing; else it returns the new pair.
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
  int64_t channels = x.size(-1);
  auto perChannel = [channels](const at::Tensor& t) { return !t.defined() || (t.dim() == 1 && t.size(0) == channels); };
  if (x.dim() == 4 && x.scalar_type() == at::kFloat && perChannel(mean) && perChannel(var) && perChannel(offset) && perChannel(scale)) {
    // ATen's inference batch norm (what PyTorch's eval mode runs), on the NCHW view in whatever
    // order x is stored: one pass, 3x faster than the broadcast addcmul for ResNet-18's layers.
    auto out = at::native_batch_norm(nchw(x), scale, offset, mean, var, false, 0.0, eps);
    return {nhwc(std::get<0>(out))};
  }
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

std::vector<at::Tensor> movingAverages(const OpArgs& a) {
  const double decay = 1 - a.num(0);
  auto owned = [](const at::Tensor& t) { return unshared(t) && t.is_contiguous() && t.scalar_type() == at::kFloat; };
  bool inPlace = a.flag(1) && owned(a.x(0)) && owned(a.x(1));
  std::vector<at::Tensor> out;
  for (size_t k = 0; k < 2; k++) {
    auto moving = a.x(k);
    auto step = (moving - a.x(k + 2).reshape(moving.sizes())).mul_(decay);
    if (inPlace) {
      moving.sub_(step);
      forgetDerived(moving);  // written in place: anything derived from it is stale
    } else {
      out.push_back(moving - step);
    }
  }
  return out;
}

Register r1("FusedBatchNorm", fusedBatchNorm);
Register r2("MlcPipeBatchNormTrain", batchNormTrain);
Register r3("MlcPipeBatchNormTrainGrad", batchNormTrainGrad);
Register r4("MlcPipeMovingAverages", movingAverages);

}  // namespace
}  // namespace mlc
