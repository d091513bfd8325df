// Losses: the masked, weighted cross-entropy of one classification head as one op (the JS side
// is src/engine/ops/cross-entropy/ (cross-entropy.ts, native.ts); the formula is the
// contract of src/train/losses/base.ts and crossentropy.ts).
//
// MlcPipeCrossEntropy
//   in [logits [N, K] float32, labels [N] (int32 or float32; -1 = unknown), (sampleWeights [N])]
//   attrs [softmax (0/1), epsilon, nClassWeights, classWeights..., aten (0/1)]
//   out [loss [] float32, dLoss/dlogits [N, K] float32]
//
//   loss = Σ_valid cw[y_i]·w_i·ℓ_i / max(1, #valid)
//   softmax: ℓ_i = −Σ_k t_ik log p_ik, p = softmax(z), t = (1 − ε)·onehot(y) + ε/K
//   sigmoid (K = 1): ℓ_i = t_i·softplus(−z_i) + (1 − t_i)·softplus(z_i), t = (1 − ε)·y + ε/2
//   gradient: cw·w/n·(p − t) on valid rows, 0 on masked rows (whatever their logits hold).
//
// The gradient is the second output, computed with the loss from the same log-probabilities: the
// tape then keeps one tensor per head and the backward pass is a single multiply by dy.
// cw is indexed by the label (K entries for softmax, 2 entries [w0, w1] for sigmoid).
//
// Two implementations of the same formula: on CPU one pass over the rows in double precision
// (a head's logits are a few hundred numbers, and each ATen op costs a few µs of dispatch: the
// composed form takes ~80 µs, the loop ~1 µs); on other devices (or with the `aten` attribute,
// which the tests use to check it on CPU) ATen ops, so the tensors stay on the device.
#include <algorithm>
#include <cmath>
#include <stdexcept>
#include <string>

#include "registry.h"

namespace mlc {
namespace {

using Out = std::vector<at::Tensor>;

struct Config {
  bool softmax;
  double eps;
  std::vector<double> classWeights;  // empty = all 1
  bool aten;
};

Config configOf(const OpArgs& a) {
  Config c{a.flag(0), a.num(1), {}, false};
  const auto nCw = static_cast<size_t>(a.num(2));
  for (size_t i = 0; i < nCw; i++) c.classWeights.push_back(a.num(3 + i));
  c.aten = a.attr.size() > 3 + nCw && a.flag(3 + nCw);
  return c;
}

void checkShapes(const at::Tensor& z, const at::Tensor& labels, const Config& c) {
  if (z.dim() != 2 || labels.dim() != 1 || labels.size(0) != z.size(0)) {
    throw std::invalid_argument("cross-entropy: expected logits [N, K] and labels [N], got ranks " + std::to_string(z.dim()) + " and " +
                                std::to_string(labels.dim()));
  }
  const int64_t classes = c.softmax ? z.size(1) : 2;
  if (!c.classWeights.empty() && static_cast<int64_t>(c.classWeights.size()) != classes) {
    throw std::invalid_argument("cross-entropy: " + std::to_string(c.classWeights.size()) + " class weights for a head of " + std::to_string(classes) +
                                " classes");
  }
}

[[noreturn]] void badLabel(const Config& c, int64_t classes) {
  throw std::invalid_argument("cross-entropy: a label is ≥ " + std::to_string(classes) + ", the head's " +
                              (c.softmax ? "class count" : "binary range {0, 1}"));
}

// softplus(x) = log(1 + e^x), exact for large |x|.
inline double softplus(double x) { return std::max(x, 0.0) + std::log1p(std::exp(-std::abs(x))); }
inline double sigmoid(double x) {
  if (x >= 0) return 1 / (1 + std::exp(-x));
  const double e = std::exp(x);
  return e / (1 + e);
}

template <typename L>
Out loopCpu(const at::Tensor& z, const L* labels, const float* sw, const Config& c) {
  const int64_t n = z.size(0), k = z.size(1);
  const int64_t classes = c.softmax ? k : 2;
  const float* zp = z.data_ptr<float>();
  int64_t valid = 0;
  for (int64_t i = 0; i < n; i++) {
    const auto y = static_cast<int64_t>(labels[i]);
    if (y >= classes) badLabel(c, classes);
    if (y >= 0) valid++;
  }
  const double inv = 1.0 / static_cast<double>(std::max<int64_t>(valid, 1));
  auto dz = at::zeros({n, k}, z.options());
  float* g = dz.data_ptr<float>();
  const double eps = c.eps;
  double total = 0;
  for (int64_t i = 0; i < n; i++) {
    const auto y = static_cast<int64_t>(labels[i]);
    if (y < 0) continue;  // masked: no loss, zero gradient, whatever the logits hold
    const double coeff = (c.classWeights.empty() ? 1.0 : c.classWeights[y]) * (sw ? static_cast<double>(sw[i]) : 1.0) * inv;
    const float* row = zp + i * k;
    float* grow = g + i * k;
    if (c.softmax) {
      double m = row[0];
      for (int64_t j = 1; j < k; j++) m = std::max(m, static_cast<double>(row[j]));
      double s = 0, sumLogp = 0;
      for (int64_t j = 0; j < k; j++) s += std::exp(row[j] - m);
      const double lse = m + std::log(s);
      for (int64_t j = 0; j < k; j++) sumLogp += row[j] - lse;
      const double loss = -(1 - eps) * (row[y] - lse) - eps / static_cast<double>(k) * sumLogp;
      total += coeff * loss;
      for (int64_t j = 0; j < k; j++) {
        const double t = (j == y ? 1 - eps : 0) + eps / static_cast<double>(k);
        grow[j] = static_cast<float>(coeff * (std::exp(row[j] - lse) - t));
      }
    } else {
      const double x = row[0];
      const double t = (1 - eps) * static_cast<double>(y) + eps / 2;
      total += coeff * (t * softplus(-x) + (1 - t) * softplus(x));
      grow[0] = static_cast<float>(coeff * (sigmoid(x) - t));
    }
  }
  return {at::full({}, total, z.options()), dz};
}

// The same formula as ATen ops (any device).
Out aten(const at::Tensor& z, const at::Tensor& labelsIn, const at::Tensor* sw, const Config& c) {
  const auto labels = labelsIn.to(at::kLong);
  const int64_t n = z.size(0);
  const int64_t k = z.size(1);
  const int64_t classes = c.softmax ? k : 2;
  const double eps = c.eps;
  const auto valid = labels.ge(0);
  const auto safe = labels.clamp_min(0);
  if (n > 0 && safe.max().item<int64_t>() >= classes) badLabel(c, classes);
  // Per-row coefficient cw[y]·w / max(1, #valid), 0 on masked rows.
  auto coeff = valid.to(at::kFloat);
  if (!c.classWeights.empty()) {
    std::vector<float> w(c.classWeights.begin(), c.classWeights.end());
    coeff = coeff * at::tensor(w, at::TensorOptions().dtype(at::kFloat)).to(z.device()).index_select(0, safe);
  }
  if (sw) coeff = coeff * sw->to(at::kFloat).reshape({n});
  coeff = coeff / valid.sum().clamp_min(1).to(at::kFloat);

  at::Tensor perRow, grad;
  if (c.softmax) {
    const auto logp = at::log_softmax(z, 1);
    const auto picked = logp.gather(1, safe.unsqueeze(1)).squeeze(1);
    perRow = picked.mul(-(1 - eps));
    if (eps > 0) perRow = perRow - logp.sum(1).mul(eps / static_cast<double>(k));
    auto target = at::zeros_like(z).scatter_(1, safe.unsqueeze(1), 1 - eps);
    if (eps > 0) target.add_(eps / static_cast<double>(k));
    grad = logp.exp().sub_(target);
  } else {
    const auto t = safe.to(at::kFloat).mul(1 - eps).add(eps / 2).unsqueeze(1);
    // softplus(±z) = −log σ(∓z): exact for large |z| (no cancellation of softplus(z) − t·z).
    perRow = (t * at::softplus(-z) + (1 - t) * at::softplus(z)).squeeze(1);
    grad = at::sigmoid(z).sub_(t);
  }
  // where() rather than a product: a masked row's NaN/Inf must not reach the sum or the gradient.
  const auto zero = at::zeros({}, z.options());
  const auto loss = at::where(valid, perRow, zero).mul(coeff).sum();
  const auto dz = at::where(valid.unsqueeze(1), grad.mul(coeff.unsqueeze(1)), zero);
  return {loss, dz};
}

Register ce("MlcPipeCrossEntropy", [](const OpArgs& a) -> Out {
  const auto c = configOf(a);
  const auto z = a.x(0).to(at::kFloat);
  const auto& labels = a.x(1);
  checkShapes(z, labels, c);
  const at::Tensor* sw = a.in.size() > 2 ? &a.x(2) : nullptr;
  if (c.aten || !z.device().is_cpu()) return aten(z, labels, sw, c);
  const auto zc = z.contiguous();
  at::Tensor swc;
  if (sw) swc = sw->to(at::kFloat).contiguous();
  const float* swp = sw ? swc.data_ptr<float>() : nullptr;
  if (labels.scalar_type() == at::kInt) return loopCpu(zc, labels.contiguous().data_ptr<int32_t>(), swp, c);
  if (labels.scalar_type() == at::kFloat) return loopCpu(zc, labels.contiguous().data_ptr<float>(), swp, c);
  const auto l64 = labels.to(at::kLong).contiguous();
  return loopCpu(zc, l64.data_ptr<int64_t>(), swp, c);
});

}  // namespace
}  // namespace mlc
