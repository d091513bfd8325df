// Elementwise ops: unary math and activations, binary arithmetic and comparisons with numpy
// broadcasting (tfjs' and ATen's rules agree), Select, Cast and Softmax.
//   unary: in [x]; binary: in [a, b]; Select: in [condition, a, b]
//   attrs: Cast [dtypeCode]; ClipByValue [min, max]; Step/LeakyRelu [alpha]; Softmax [dim]
#include <limits>

#include "registry.h"

namespace mlc {
namespace {

using Out = std::vector<at::Tensor>;

// Integer inputs of float-valued math are computed in float32, as tfjs does.
at::Tensor floating(const at::Tensor& x) { return at::isFloatingType(x.scalar_type()) ? x : x.to(at::kFloat); }

#define UNARY(reg, name, expr)                 \
  Register reg(name, [](const OpArgs& a) -> Out { \
    const auto& x = a.x(0);                    \
    (void)x;                                   \
    return {expr};                             \
  })
#define BINARY(reg, name, expr)                \
  Register reg(name, [](const OpArgs& a) -> Out { \
    const auto& x = a.x(0);                    \
    const auto& y = a.x(1);                    \
    return {expr};                             \
  })

UNARY(u1, "Abs", x.abs());
UNARY(u2, "Neg", x.neg());
UNARY(u3, "Exp", floating(x).exp());
UNARY(u4, "Log", floating(x).log());
UNARY(u5, "Log1p", floating(x).log1p());
UNARY(u6, "Sqrt", floating(x).sqrt());
UNARY(u7, "Rsqrt", floating(x).rsqrt());
UNARY(u8, "Square", x * x);
UNARY(u9, "Relu", x.relu());
UNARY(u10, "Relu6", x.clamp(0, 6));
UNARY(u11, "Sigmoid", floating(x).sigmoid());
UNARY(u12, "Tanh", floating(x).tanh());
UNARY(u13, "Softplus", at::softplus(floating(x)));
UNARY(u14, "Sign", x.sign());
UNARY(u15, "Floor", x.floor());
UNARY(u16, "Ceil", x.ceil());
UNARY(u17, "Round", x.round());
UNARY(u18, "Reciprocal", floating(x).reciprocal());
UNARY(u19, "Elu", at::elu(floating(x)));
UNARY(u20, "Erf", floating(x).erf());
UNARY(u21, "Sin", floating(x).sin());
UNARY(u22, "Cos", floating(x).cos());
UNARY(u23, "Expm1", floating(x).expm1());
UNARY(u24, "IsNan", x.isnan());
UNARY(u25, "IsInf", x.isinf());
UNARY(u26, "IsFinite", x.isfinite());
UNARY(u27, "LogicalNot", x.logical_not());
UNARY(u28, "ZerosLike", at::zeros_like(x));
UNARY(u29, "OnesLike", at::ones_like(x));
UNARY(u30, "Cast", x.to(scalarTypeOf(static_cast<int>(a.i64(0)))));
UNARY(u31, "ClipByValue", x.clamp(a.num(0), a.num(1)));
// tfjs step: 1 where x > 0, alpha elsewhere, NaN stays NaN.
UNARY(u32, "Step", at::where(x.isnan(), x, at::where(x > 0, at::ones_like(x), at::full_like(x, a.num(0)))));
UNARY(u33, "LeakyRelu", at::leaky_relu(x, a.num(0)));
UNARY(u34, "Softmax", at::softmax(x, a.i64(0)));
UNARY(u35, "Selu", at::selu(floating(x)));
UNARY(u36, "Atan", floating(x).atan());

BINARY(b1, "Add", x + y);
BINARY(b2, "Sub", x - y);
BINARY(b3, "Multiply", x * y);
BINARY(b4, "RealDiv", floating(x) / y);
BINARY(b5, "Maximum", at::maximum(x, y));
BINARY(b6, "Minimum", at::minimum(x, y));
BINARY(b7, "Pow", at::pow(x, y));
BINARY(b8, "SquaredDifference", (x - y).square());
// tfjs gives FloorDiv an int32 result whatever the input dtype.
BINARY(b9, "FloorDiv", at::div(x, y, "floor").to(at::kInt));
BINARY(b10, "Mod", at::remainder(x, y));
BINARY(b11, "Greater", x > y);
BINARY(b12, "GreaterEqual", x >= y);
BINARY(b13, "Less", x < y);
BINARY(b14, "LessEqual", x <= y);
BINARY(b15, "Equal", x == y);
BINARY(b16, "NotEqual", x != y);
BINARY(b17, "LogicalAnd", x.logical_and(y));
BINARY(b18, "LogicalOr", x.logical_or(y));
BINARY(b19, "Prelu", at::where(x > 0, x, x * y));
BINARY(b20, "Atan2", at::atan2(floating(x), y));

// Gradients that tfjs composes from several full-size ops, as one pass each:
// ReluGrad in [dy, x]: dy where x > 0;  Relu6Grad in [dy, x]: dy where 0 < x ≤ 6 (tfjs: dy·(x ≤ 6)·step(x));
// EluGrad in [dy, y] (y = elu(x)): dy where y ≥ 0, else dy·(y + 1) (tfjs' kernel).
BINARY(g1, "MlcPipeReluGrad", at::threshold_backward(x, y, 0));
BINARY(g2, "MlcPipeRelu6Grad", at::where((y > 0).logical_and_(y <= 6), x, at::zeros({}, x.options())));
BINARY(g3, "EluGrad", at::where(y >= 0, x, x * (y + 1)));

// AddN: the sum of all inputs (gradient accumulation).
Register n1("AddN", [](const OpArgs& a) -> Out {
  auto out = a.x(0) + a.x(1);
  for (size_t i = 2; i < a.in.size(); i++) out.add_(a.x(i));
  return {out};
});

// Select(condition, a, b): a rank-1 condition picks whole rows of a higher-rank a/b (tfjs' rule).
Register s1("Select", [](const OpArgs& a) -> Out {
  auto cond = a.x(0);
  const auto& x = a.x(1);
  if (cond.dim() == 1 && x.dim() > 1) {
    std::vector<int64_t> shape(x.dim(), 1);
    shape[0] = cond.size(0);
    cond = cond.reshape(shape);
  }
  return {at::where(cond.to(at::kBool), x, a.x(2))};
});

}  // namespace
}  // namespace mlc
