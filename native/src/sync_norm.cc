// Synchronised batch norm (the train stage's `distributed.sync_bn`, PyTorch's SyncBatchNorm): in
// training, each rank normalises its shard with the statistics of the whole global batch, and its
// input gradient is that of the global batch's loss. Each op does one c10d all-reduce (dist.h).
//
//   MlcPipeSyncBatchNormTrain: in [x (NHWC or [N, C]), scale, offset]; attr [epsilon, contributes]
//     -> [y, mean, biased variance, inverse std, unbiased variance], the statistics of all ranks' x.
//     Per rank r: m_r values per channel, local mean μ_r and biased variance v_r (two-pass, float);
//     all-reduced in double: Σ m_r·μ_r, Σ m_r·(v_r + μ_r²), Σ m_r; then μ = S1/M, σ² = S2/M − μ²
//     (double, so no float cancellation), unbiased σ²·M/(M−1). contributes = 0: this rank's rows are
//     a stand-in (its shard of the global batch is empty) and add nothing.
//   MlcPipeSyncBatchNormTrainGrad: in [dy, x, scale, mean, invstd]; attr [epsilon, weight]
//     -> [dx, dscale, doffset]. weight w_r = this rank's rows / the global batch's rows: the loop's
//     gradient all-reduce sums w_r·g_r, so the global loss is L = Σ_r w_r·L_r and ∂L/∂y_r = w_r·dy_r.
//     With s = invstd, x̂ = (x − μ)·s, the global batch norm gradient (M = Σ m_r values) is
//       ∂L/∂x_r = γ·s·(w_r·dy_r − A/M − x̂·B/M),  A = Σ_r w_r·Σ dy_r,  B = Σ_r w_r·Σ dy_r·x̂_r
//     (A, B all-reduced in float, as PyTorch does). This rank returns ∂L/∂x_r / w_r, which the
//     loop's all-reduce multiplies back by w_r; with m_r = w_r·M (rows_r·HW = rows_r/rows · rows·HW):
//       dx = γ·s·(dy − A/m_r − x̂·B/m_r).
//     dscale = Σ dy·x̂ and doffset = Σ dy are this rank's own: the loop's all-reduce weights and sums
//     them like any weight gradient. A stand-in rank (w_r = 0) adds nothing to A and B.
#include "dist.h"
#include "registry.h"

namespace mlc {
namespace {

at::Tensor channelsSecondView(const at::Tensor& x) { return x.dim() == 4 ? nchw(x) : x; }
at::Tensor channelsLast(const at::Tensor& y) { return y.dim() == 4 ? y.permute({0, 2, 3, 1}) : y; }
// The reduction axes of a channels-second view: all but the channels (axis 1).
std::vector<int64_t> reduced(const at::Tensor& v) {
  std::vector<int64_t> dims{0};
  for (int64_t d = 2; d < v.dim(); d++) dims.push_back(d);
  return dims;
}
// Per-channel (shape [C]) factors broadcast against a channels-second view.
at::Tensor along(const at::Tensor& c, const at::Tensor& v) {
  std::vector<int64_t> shape(v.dim(), 1);
  shape[1] = c.numel();
  return c.reshape(shape);
}

std::vector<at::Tensor> syncBatchNormTrain(const OpArgs& a) {
  auto v = channelsSecondView(a.x(0));
  double eps = a.num(0);
  int64_t channels = v.size(1);
  double m = a.flag(1) ? static_cast<double>(v.numel() / std::max<int64_t>(1, channels)) : 0;
  auto local = at::var_mean(v, reduced(v), /*unbiased=*/false, /*keepdim=*/false);
  auto mean = std::get<1>(local).to(at::kDouble);
  auto var = std::get<0>(local).to(at::kDouble);
  auto stats = at::cat({mean * m, (var + mean * mean) * m, at::full({1}, m, mean.options())});
  allreduceSum(stats);
  double total = stats[2 * channels].item<double>();
  if (total <= 0) throw std::runtime_error("synchronised batch norm: no rank has any rows");
  auto gmean = stats.narrow(0, 0, channels) / total;
  auto gvar = (stats.narrow(0, channels, channels) / total - gmean * gmean).clamp_min_(0);
  auto unbiased = total > 1 ? gvar * (total / (total - 1)) : gvar;
  auto meanF = gmean.to(at::kFloat), varF = gvar.to(at::kFloat);
  auto y = std::get<0>(at::native_batch_norm(v, a.x(1), a.x(2), meanF, varF, false, 0.0, eps));
  auto invstd = (varF + eps).rsqrt_();
  return {channelsLast(y), meanF, varF, invstd, unbiased.to(at::kFloat)};
}

std::vector<at::Tensor> syncBatchNormTrainGrad(const OpArgs& a) {
  auto dy = channelsSecondView(a.x(0));
  auto v = channelsSecondView(a.x(1));
  const auto& gamma = a.x(2);
  const auto& mean = a.x(3);
  const auto& invstd = a.x(4);
  double weight = a.num(1);
  // This rank's Σ dy·x̂ and Σ dy (what ATen's backward computes from saved statistics).
  auto local = at::native_batch_norm_backward(dy, v, gamma, c10::nullopt, c10::nullopt, mean, invstd, true, a.num(0),
                                              {false, true, true});
  auto dScale = std::get<1>(local), dOffset = std::get<2>(local);
  auto sums = at::cat({dOffset * weight, dScale * weight});
  allreduceSum(sums);
  int64_t channels = v.size(1);
  double m = static_cast<double>(v.numel() / std::max<int64_t>(1, channels));
  auto A = sums.narrow(0, 0, channels), B = sums.narrow(0, channels, channels);
  // dx = k·dy + kx·x + k0 per channel: k = γ·s, kx = −γ·s²·B/m, k0 = −γ·s·A/m − kx·μ.
  auto k = gamma * invstd;
  auto kx = -k * invstd * B / m;
  auto k0 = -k * A / m - kx * mean;
  auto dx = at::addcmul(along(k0, v), v, along(kx, v)).addcmul_(dy, along(k, v));
  return {channelsLast(dx), dScale, dOffset};
}

Register r1("MlcPipeSyncBatchNormTrain", syncBatchNormTrain);
Register r2("MlcPipeSyncBatchNormTrainGrad", syncBatchNormTrainGrad);

}  // namespace
}  // namespace mlc
