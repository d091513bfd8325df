// The op registry shared by every kernel family of the addon: each family file registers its ops
// by name at load time; addon.cc looks them up and calls them with the input tensors and a flat
// list of numeric attributes whose layout each op documents (the JS side in
// src/engine/native/kernels/ writes the same layout).
//
// Layout contract: a tensor handed to or returned by an op has its tfjs shape (NHWC for images,
// HWIO for conv filters) and dense memory in some order of its dimensions: row-major (what JS
// data becomes), or the order ATen's kernels work in. Ops see logical shapes only (ATen follows
// the strides); the few raw-pointer loops (optim.cc, toArray) handle the order explicitly; the
// addon turns a non-dense result (a slice) into a dense one (normalise in addon.cc; rank 4 then
// becomes channels-second). Two orders matter:
//  - images *channels-second backed*: stored NCHW, i.e. their permute(0, 3, 1, 2) view is
//    contiguous. ATen's CPU convolutions (oneDNN) and batch norm are fastest on plain NCHW:
//    measured with PyTorch itself, ResNet-18 training at 64x64 b16 on one thread is ~25% slower
//    with channels-last tensors than with NCHW ones. Convolutions read a row-major input once
//    through an NCHW copy kept with it (nchwContiguous), except the image batch from JS, which the
//    stem conv reads channels-last as it is (conv.cc): the stem's conv, batch norm, max pool and
//    ReLU stay row-major, the convs after them produce NCHW-backed tensors.
//  - conv filters *OIHW backed* (permute(3, 2, 0, 1) contiguous): a filter gradient comes out of
//    ATen OIHW and stays so, the optimizer then writes the filter (and its slots) in that order,
//    so no step transposes a filter (a 3x3 512->512 filter's transpose alone takes 10 ms on one
//    thread, ~90 ms a ResNet-18 step both ways).
#pragma once

#include <ATen/ATen.h>

#include <cstdint>
#include <string>
#include <vector>

namespace mlc {

struct OpArgs {
  std::vector<at::Tensor> in;
  std::vector<double> attr;

  const at::Tensor& x(size_t i) const { return in.at(i); }
  double num(size_t i) const { return attr.at(i); }
  int64_t i64(size_t i) const { return static_cast<int64_t>(attr.at(i)); }
  bool flag(size_t i) const { return attr.at(i) != 0; }
  // `count` integers starting at attribute `from`.
  std::vector<int64_t> ints(size_t from, size_t count) const {
    std::vector<int64_t> out;
    out.reserve(count);
    for (size_t k = 0; k < count; k++) out.push_back(static_cast<int64_t>(attr.at(from + k)));
    return out;
  }
  // A length-prefixed integer list at `from` (attr[from] = n, then n values); `next` is set to
  // the index after it.
  std::vector<int64_t> list(size_t from, size_t* next = nullptr) const {
    auto n = static_cast<size_t>(attr.at(from));
    if (next) *next = from + 1 + n;
    return ints(from + 1, n);
  }
};

// An op returns its outputs; an in-place op (the optimizer updates) returns none.
using OpFn = std::vector<at::Tensor> (*)(const OpArgs&);

struct OpEntry {
  std::string name;
  OpFn fn;
};

std::vector<OpEntry>& registry();

struct Register {
  Register(const char* name, OpFn fn) { registry().push_back({name, fn}); }
};

// The device new tensors are created on (CPU unless a CUDA build selected a GPU).
at::Device& currentDevice();

// tfjs dtype codes shared with the JS side: 0 float32, 1 int32, 2 bool.
at::ScalarType scalarTypeOf(int code);
int dtypeCodeOf(at::ScalarType type);

// NHWC <-> NCHW views (no copy).
inline at::Tensor nchw(const at::Tensor& nhwc) { return nhwc.permute({0, 3, 1, 2}); }
inline at::Tensor nhwc(const at::Tensor& nchw) { return nchw.permute({0, 2, 3, 1}); }
// Whether a rank-4 NHWC-shaped tensor is stored NCHW (see the layout contract above).
inline bool channelsSecond(const at::Tensor& t) { return t.dim() == 4 && nchw(t).is_contiguous(); }
// Whether `t` occupies its memory densely (any order of dimensions, no gaps or overlaps).
inline bool dense(const at::Tensor& t) { return t.is_non_overlapping_and_dense(); }
// Whether no other tensor (a view, a handle sharing it) holds t's buffer: an op may then write it
// in place (the optimizers, the moving statistics), after which it calls forgetDerived.
inline bool unshared(const at::Tensor& t) { return t.storage().use_count() == 1; }
// Layout conversions made so far (counted for the profile: each is a full copy of a tensor).
void countLayoutCopy(const at::Tensor& t);
// Op input x's NCHW view, copied into plain NCHW memory when x is stored another way; the copy is
// kept with x (the derived-tensor cache below), so the convolutions and gradients that read the
// same activation share one copy. Only for op inputs (tensors that handles own).
at::Tensor nchwContiguous(const at::Tensor& x);

// Derived tensors cached per source tensor (a filter's OIHW copy, reused by the forward conv and
// the input gradient of one step). An entry lives until its source is freed or written in place.
at::Tensor cachedDerived(const at::Tensor& source, int kind, at::Tensor (*make)(const at::Tensor&));
void forgetDerived(const at::Tensor& source);
// The same cache filled by the op that made `source` (max pooling keeps its argmax indices with
// its output for the gradient); findDerived gives an undefined tensor when there is none.
void storeDerived(const at::Tensor& source, int kind, at::Tensor derived);
at::Tensor findDerived(const at::Tensor& source, int kind);

// Mixed precision (precision.cc). computeType(): what convolutions and matmuls compute in:
// float32 (the default), bfloat16 or (CUDA only) float16; everything else computes in float32.
at::ScalarType computeType();
void setComputeType(at::ScalarType type);
// Whether float32 tensor t is cast to a lower compute type before a conv or matmul reads it.
bool autocasting(const at::Tensor& t);
// t in the compute type (t itself when not autocasting), same strides; the cast is cached with t
// (a derived tensor), so a weight is cast once per version and an activation once.
at::Tensor castForCompute(const at::Tensor& t);
// nchwContiguous(x) in the compute type: one copy that casts and lays out NCHW, cached with x.
at::Tensor castForComputeNchw(const at::Tensor& x);

// tfjs fused activations (src/engine/native/kernels/activation.ts uses the same codes):
// 0 linear, 1 relu, 2 relu6, 3 elu, 4 leakyrelu (alpha), 5 prelu (weights), 6 sigmoid.
at::Tensor activate(at::Tensor y, int code, double alpha, const at::Tensor& prelu);

}  // namespace mlc
