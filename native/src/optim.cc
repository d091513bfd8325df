// Optimizer updates as single kernels (src/engine/ops/fused-adam/ and src/engine/ops/fused-sgd/ hold the
// formulas and the JS side). With `inPlace` set and no other tensor sharing the buffers, the
// update is written into w and the slots and the op returns nothing; otherwise it returns new
// tensors [w, slots...] (the tfjs contract: inputs are never changed).
//   MlcPipeFusedAdam: in [w, g, m, v, vmax?]; attr [lr, beta1, beta2, eps, t, weightDecay, amsgrad, inPlace]
//     w ← w(1 − lr·wd); m ← β1m + (1−β1)g; v ← β2v + (1−β2)g²; AMSGrad v̂ ← max(v̂, v);
//     w ← w − lr/(1−β1ᵗ) · m / (√(v̂ or v)/√(1−β2ᵗ) + ε)
//     RAdam is the same op with `rectified` = r > 0 scaling the step (attr 8) or, r = 0, the
//     un-rectified SGD step w ← w − lr·m/(1−β1ᵗ) (attr 9 = 1).
//   MlcPipeFusedSgd: in [w, g, buf?]; attr [lr, momentum, nesterov, weightDecay, inPlace]
//     buf ← μ·buf + g; w ← w(1 − lr·wd) − lr·(g + μ·buf if nesterov else buf); no buf: w ← w − lr·g
#include <ATen/Parallel.h>

#include <cmath>

#include "registry.h"

namespace mlc {
namespace {

using Out = std::vector<at::Tensor>;

// The update loops run over raw buffers, so every operand must have the same dense memory order.
// That order is the gradient's when it is dense (a conv filter's gradient comes OIHW-backed,
// registry.h), else row-major. An operand stored another way is read through a copy in that order
// (and the step then writes new tensors instead of updating in place; from the next step on the
// variable and its slots have the gradient's order and are updated in place).
at::Tensor updateOrder(const at::Tensor& g) { return dense(g) ? g : g.contiguous(); }
bool sameOrder(const at::Tensor& t, const at::Tensor& like) { return t.sizes() == like.sizes() && t.strides() == like.strides(); }
at::Tensor inOrder(const at::Tensor& t, const at::Tensor& like) { return sameOrder(t, like) ? t : at::empty_like(like).copy_(t); }
// Whether the step may write operand `t` in place: it already has the update's order and nothing shares it.
bool writable(const at::Tensor& t, const at::Tensor& g) { return sameOrder(t, g) && unshared(t); }

constexpr int64_t kGrain = 1 << 14;

Out adam(const OpArgs& a) {
  bool amsgrad = a.flag(6);
  bool inPlace = a.flag(7);
  double lr = a.num(0), b1 = a.num(1), b2 = a.num(2), eps = a.num(3), t = a.num(4), wd = a.num(5);
  double rect = a.attr.size() > 8 ? a.num(8) : 1.0;
  bool sgdStep = a.attr.size() > 9 && a.flag(9);
  auto g = updateOrder(a.x(1).to(a.x(0).scalar_type()));
  auto w = inOrder(a.x(0), g);
  auto m = inOrder(a.x(2), g);
  auto v = inOrder(a.x(3), g);
  at::Tensor vmax = amsgrad ? inOrder(a.x(4), g) : at::Tensor();
  bool direct = inPlace && writable(a.x(0), g) && writable(a.x(2), g) && writable(a.x(3), g) && (!amsgrad || writable(a.x(4), g));
  auto ow = direct ? w : at::empty_like(g);
  auto om = direct ? m : at::empty_like(g);
  auto ov = direct ? v : at::empty_like(g);
  auto oh = amsgrad ? (direct ? vmax : at::empty_like(g)) : at::Tensor();
  const float decay = static_cast<float>(1 - lr * wd);
  const float step = static_cast<float>(lr / (1 - std::pow(b1, t)) * rect);
  const float rbc2 = static_cast<float>(1 / std::sqrt(1 - std::pow(b2, t)));
  const float fb1 = static_cast<float>(b1), fb2 = static_cast<float>(b2), c1 = static_cast<float>(1 - b1), c2 = static_cast<float>(1 - b2);
  const float feps = static_cast<float>(eps);
  if (w.is_cpu() && w.scalar_type() == at::kFloat) {
    const float *pw = w.data_ptr<float>(), *pg = g.data_ptr<float>(), *pm = m.data_ptr<float>(), *pv = v.data_ptr<float>();
    const float* ph = amsgrad ? vmax.data_ptr<float>() : nullptr;
    float *qw = ow.data_ptr<float>(), *qm = om.data_ptr<float>(), *qv = ov.data_ptr<float>();
    float* qh = amsgrad ? oh.data_ptr<float>() : nullptr;
    // Three branch-free loops (one per mode) so that the compiler vectorises each.
    at::parallel_for(0, w.numel(), kGrain, [&](int64_t begin, int64_t end) {
      if (sgdStep) {
        for (int64_t i = begin; i < end; i++) {
          float gi = pg[i];
          float mi = fb1 * pm[i] + c1 * gi;
          qm[i] = mi;
          qv[i] = fb2 * pv[i] + c2 * gi * gi;
          qw[i] = pw[i] * decay - step * mi;
        }
      } else if (ph) {
        for (int64_t i = begin; i < end; i++) {
          float gi = pg[i];
          float mi = fb1 * pm[i] + c1 * gi;
          float vi = fb2 * pv[i] + c2 * gi * gi;
          float hi = ph[i] > vi ? ph[i] : vi;
          qm[i] = mi;
          qv[i] = vi;
          qh[i] = hi;
          qw[i] = pw[i] * decay - step * mi / (std::sqrt(hi) * rbc2 + feps);
        }
      } else {
        for (int64_t i = begin; i < end; i++) {
          float gi = pg[i];
          float mi = fb1 * pm[i] + c1 * gi;
          float vi = fb2 * pv[i] + c2 * gi * gi;
          qm[i] = mi;
          qv[i] = vi;
          qw[i] = pw[i] * decay - step * mi / (std::sqrt(vi) * rbc2 + feps);
        }
      }
    });
  } else {
    // Any other device or dtype: the same update in ATen ops (runs where the tensors live).
    auto nm = m * b1 + g * (1 - b1);
    auto nv = v * b2 + g * g * (1 - b2);
    auto h = amsgrad ? at::maximum(vmax, nv) : nv;
    auto nw = sgdStep ? w * decay - nm * step : w * decay - nm * step / (h.sqrt() * rbc2 + eps);
    ow.copy_(nw);
    om.copy_(nm);
    ov.copy_(nv);
    if (amsgrad) oh.copy_(h);
  }
  if (direct) {
    forgetDerived(w);  // written in place: derived copies (a packed filter) are stale
    return {};
  }
  Out out{ow, om, ov};
  if (amsgrad) out.push_back(oh);
  return out;
}

Out sgd(const OpArgs& a) {
  double lr = a.num(0), mu = a.num(1), wd = a.num(3);
  bool nesterov = a.flag(2), inPlace = a.flag(4);
  auto g = updateOrder(a.x(1).to(a.x(0).scalar_type()));  // one memory order for all, as in adam()
  auto w = inOrder(a.x(0), g);
  bool hasBuf = a.in.size() > 2;
  at::Tensor buf = hasBuf ? inOrder(a.x(2), g) : at::Tensor();
  bool direct = inPlace && writable(a.x(0), g) && (!hasBuf || writable(a.x(2), g));
  auto ow = direct ? w : at::empty_like(g);
  auto ob = hasBuf ? (direct ? buf : at::empty_like(g)) : at::Tensor();
  const float decay = static_cast<float>(1 - lr * wd), flr = static_cast<float>(lr), fmu = static_cast<float>(mu);
  if (w.is_cpu() && w.scalar_type() == at::kFloat) {
    const float *pw = w.data_ptr<float>(), *pg = g.data_ptr<float>();
    const float* pb = hasBuf ? buf.data_ptr<float>() : nullptr;
    float* qw = ow.data_ptr<float>();
    float* qb = hasBuf ? ob.data_ptr<float>() : nullptr;
    at::parallel_for(0, w.numel(), kGrain, [&](int64_t begin, int64_t end) {
      for (int64_t i = begin; i < end; i++) {
        float gi = pg[i];
        float s = gi;
        if (pb) {
          float bi = fmu * pb[i] + gi;
          qb[i] = bi;
          s = nesterov ? gi + fmu * bi : bi;
        }
        qw[i] = pw[i] * decay - flr * s;
      }
    });
  } else {
    auto nb = hasBuf ? buf * mu + g : at::Tensor();
    auto s = hasBuf ? (nesterov ? g + nb * mu : nb) : g;
    ow.copy_(w * decay - s * lr);
    if (hasBuf) ob.copy_(nb);
  }
  if (direct) {
    forgetDerived(w);
    return {};
  }
  Out out{ow};
  if (hasBuf) out.push_back(ob);
  return out;
}

Register r1("MlcPipeFusedAdam", adam);
Register r2("MlcPipeFusedSgd", sgd);

}  // namespace
}  // namespace mlc
