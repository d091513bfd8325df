// N-API entry points of the libtorch engine: tensor handles (napi externals owning an at::Tensor),
// copies in and out of JS typed arrays, the op dispatcher, threads, device and memory counters.
// Every entry point turns a C++ exception into a JS Error carrying ATen's message.
#include <node_api.h>

#include <ATen/Parallel.h>
#include <torch/version.h>

#if defined(__GLIBC__)
#include <malloc.h>
#endif

#include <atomic>
#include <cstdlib>
#include <cstring>
#include <stdexcept>
#include <string>
#include <unordered_map>

#include "napi_glue.h"
#include "registry.h"

namespace mlc {

void defineDistExports(napi_env env, napi_value exports);  // dist.cc

std::vector<OpEntry>& registry() {
  static std::vector<OpEntry> ops;
  return ops;
}

at::Device& currentDevice() {
  static at::Device device(at::kCPU);
  return device;
}

at::ScalarType scalarTypeOf(int code) {
  switch (code) {
    case 0: return at::kFloat;
    case 1: return at::kInt;
    case 2: return at::kBool;
  }
  throw std::invalid_argument("unknown dtype code " + std::to_string(code));
}

int dtypeCodeOf(at::ScalarType type) {
  switch (type) {
    case at::kFloat: return 0;
    case at::kInt: return 1;
    case at::kBool: return 2;
    default: throw std::invalid_argument(std::string("unsupported result dtype ") + c10::toString(type));
  }
}

at::Tensor activate(at::Tensor y, int code, double alpha, const at::Tensor& prelu) {
  switch (code) {
    case 0: return y;
    case 1: return y.relu_();
    case 2: return y.clamp_(0, 6);
    case 3: return at::elu(y);
    case 4: return at::leaky_relu(y, alpha);
    case 5: return at::where(y > 0, y, y * prelu);
    case 6: return y.sigmoid_();
  }
  throw std::invalid_argument("unknown fused activation " + std::to_string(code));
}

namespace {
struct Derived {
  int kind;
  at::Tensor tensor;
  int64_t version;  // the source's version counter when it was derived
};
// Per source tensor, its derived tensors by kind (a handful at most: a packed filter or its cast
// copy; an output's argmax; an activation's NCHW or cast copy). An entry is valid for the version
// of its source it was made from: an ATen in-place write bumps the version (the addon's raw-pointer
// writers, optim.cc, call forgetDerived instead).
std::unordered_map<const c10::TensorImpl*, std::vector<Derived>>& derivedCache() {
  static std::unordered_map<const c10::TensorImpl*, std::vector<Derived>> cache;
  return cache;
}
}  // namespace

at::Tensor findDerived(const at::Tensor& source, int kind) {
  auto& cache = derivedCache();
  auto it = cache.find(source.unsafeGetTensorImpl());
  if (it == cache.end()) return at::Tensor();
  for (const auto& d : it->second) {
    if (d.kind == kind) return d.version == source._version() ? d.tensor : at::Tensor();
  }
  return at::Tensor();
}

void storeDerived(const at::Tensor& source, int kind, at::Tensor derived) {
  auto& entries = derivedCache()[source.unsafeGetTensorImpl()];
  for (auto& d : entries) {
    if (d.kind == kind) {
      d.tensor = std::move(derived);
      d.version = source._version();
      return;
    }
  }
  entries.push_back({kind, std::move(derived), source._version()});
}

at::Tensor cachedDerived(const at::Tensor& source, int kind, at::Tensor (*make)(const at::Tensor&)) {
  auto found = findDerived(source, kind);
  if (found.defined()) return found;
  auto t = make(source);
  storeDerived(source, kind, t);
  return t;
}

void forgetDerived(const at::Tensor& source) { derivedCache().erase(source.unsafeGetTensorImpl()); }

namespace {
// Derived tensors held now and their bytes (info(): the tests check they stay flat over steps).
std::pair<int64_t, int64_t> derivedTotals() {
  int64_t n = 0, bytes = 0;
  for (const auto& [impl, entries] : derivedCache()) {
    for (const auto& d : entries) {
      n++;
      if (d.tensor.defined() && !d.tensor.is_mkldnn()) bytes += static_cast<int64_t>(d.tensor.nbytes());
    }
  }
  return {n, bytes};
}
}  // namespace

namespace {
// Derived-cache kinds: 1, 2 conv.cc's packed filters; 3 pool.cc's argmax; 5 this NCHW copy; 6, 7, 10
// conv.cc's blocked filters; 8, 9 conv.cc's cast filters; 20, 21 precision.cc's cast copies.
constexpr int kNchwCopy = 5;
at::Tensor copyToNchw(const at::Tensor& x) {
  countLayoutCopy(x);
  return nchw(x).contiguous();
}
}  // namespace

at::Tensor nchwContiguous(const at::Tensor& x) {
  auto v = nchw(x);
  if (v.is_contiguous()) return v;
  return cachedDerived(x, kNchwCopy, copyToNchw);
}

namespace {

struct Handle {
  at::Tensor tensor;
};

std::atomic<int64_t> liveHandles{0};
std::atomic<int64_t> liveBytes{0};
std::atomic<int64_t> layoutCopies{0};
std::atomic<int64_t> layoutCopyBytes{0};

int64_t bytesOf(const at::Tensor& t) { return t.defined() ? static_cast<int64_t>(t.nbytes()) : 0; }

void release(Handle* h) {
  if (h->tensor.defined()) {
    forgetDerived(h->tensor);
    liveHandles--;
    liveBytes -= bytesOf(h->tensor);
    h->tensor.reset();
  }
}

void finalize(napi_env, void* data, void*) {
  auto* h = static_cast<Handle*>(data);
  release(h);
  delete h;
}

// Outputs are normalised to what tfjs expects, float32/int32/bool, dense (the contract in
// registry.h; a non-dense rank-4 result becomes channels-second backed, any other row-major).
at::Tensor normalise(at::Tensor t) {
  auto type = t.scalar_type();
  if (type == at::kLong || type == at::kShort || type == at::kChar || type == at::kByte) t = t.to(at::kInt);
  else if (type == at::kDouble || type == at::kHalf || type == at::kBFloat16) t = t.to(at::kFloat);
  if (dense(t)) return t;
  countLayoutCopy(t);
  return t.dim() == 4 ? nhwc(nchw(t).contiguous()) : t.contiguous();
}

}  // namespace

void countLayoutCopy(const at::Tensor& t) {
  layoutCopies++;
  layoutCopyBytes += bytesOf(t);
}

namespace {

napi_value wrap(napi_env env, at::Tensor t) {
  auto* h = new Handle{normalise(std::move(t))};
  liveHandles++;
  liveBytes += bytesOf(h->tensor);
  napi_value out;
  NAPI_OK(napi_create_external(env, h, finalize, nullptr, &out));
  return out;
}

Handle* handleOf(napi_env env, napi_value v) {
  void* data = nullptr;
  if (napi_get_value_external(env, v, &data) != napi_ok || data == nullptr) throw std::invalid_argument("not a tensor handle");
  return static_cast<Handle*>(data);
}

const at::Tensor& tensorOf(napi_env env, napi_value v) {
  const auto& t = handleOf(env, v)->tensor;
  if (!t.defined()) throw std::invalid_argument("tensor handle used after it was freed");
  return t;
}

std::vector<int64_t> intArray(napi_env env, napi_value arr) {
  uint32_t n;
  NAPI_OK(napi_get_array_length(env, arr, &n));
  std::vector<int64_t> out(n);
  for (uint32_t i = 0; i < n; i++) {
    napi_value e;
    NAPI_OK(napi_get_element(env, arr, i, &e));
    out[i] = static_cast<int64_t>(numberOf(env, e));
  }
  return out;
}

template <typename F>
napi_value guarded(napi_env env, F&& f) {
  return guardedWith(env, "MLC_NATIVE_OP", std::forward<F>(f));
}

// fromArray(typedArray, shape, dtypeCode) -> handle (copies the values).
napi_value FromArray(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = argv(env, info, 3);
    napi_typedarray_type type;
    size_t length;
    void* data;
    napi_value buffer;
    size_t offset;
    NAPI_OK(napi_get_typedarray_info(env, a[0], &type, &length, &data, &buffer, &offset));
    auto shape = intArray(env, a[1]);
    auto dtype = scalarTypeOf(static_cast<int>(numberOf(env, a[2])));
    auto t = at::empty(shape, at::TensorOptions().dtype(dtype));
    size_t elementBytes = t.element_size();
    size_t srcBytes = length * (type == napi_float32_array || type == napi_int32_array || type == napi_uint32_array ? 4
                                : type == napi_float64_array ? 8 : 1);
    if (type == napi_float64_array || (elementBytes == 4 && srcBytes != length * 4) || (elementBytes == 1 && srcBytes != length)) {
      throw std::invalid_argument("typed array type does not match the tensor dtype");
    }
    if (static_cast<int64_t>(length) != t.numel()) throw std::invalid_argument("typed array length does not match the shape");
    if (length) std::memcpy(t.data_ptr(), data, srcBytes);
    if (currentDevice() != at::kCPU) t = t.to(currentDevice());
    return wrap(env, std::move(t));
  });
}

// toArray(handle) -> Float32Array | Int32Array | Uint8Array (a copy).
napi_value ToArray(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = argv(env, info, 1);
    at::Tensor t = tensorOf(env, a[0]);
    if (!t.device().is_cpu()) t = t.cpu();
    t = t.contiguous();
    size_t bytes = t.nbytes();
    void* dst;
    napi_value ab, out;
    NAPI_OK(napi_create_arraybuffer(env, bytes, &dst, &ab));
    if (bytes) std::memcpy(dst, t.data_ptr(), bytes);
    int code = dtypeCodeOf(t.scalar_type());
    napi_typedarray_type type = code == 0 ? napi_float32_array : code == 1 ? napi_int32_array : napi_uint8_array;
    NAPI_OK(napi_create_typedarray(env, type, static_cast<size_t>(t.numel()), ab, 0, &out));
    return out;
  });
}

// free(handle): releases the tensor now (the external itself goes with the GC).
napi_value Free(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = argv(env, info, 1);
    release(handleOf(env, a[0]));
    return undefinedValue(env);
  });
}

// Writes [dtypeCode, ndim, dims...] of each output into `shapes` (an Int32Array).
void writeShapes(napi_env env, napi_value shapes, const std::vector<at::Tensor>& outs) {
  napi_typedarray_type type;
  size_t length;
  void* data;
  napi_value buffer;
  size_t offset;
  NAPI_OK(napi_get_typedarray_info(env, shapes, &type, &length, &data, &buffer, &offset));
  auto* dst = static_cast<int32_t*>(data);
  size_t k = 0;
  for (const auto& t : outs) {
    size_t need = 2 + t.dim();
    if (k + need > length) throw std::length_error("shape buffer too small");
    dst[k++] = dtypeCodeOf(t.scalar_type());
    dst[k++] = static_cast<int32_t>(t.dim());
    for (auto d : t.sizes()) dst[k++] = static_cast<int32_t>(d);
  }
}

// run(opIndex, handles[], attrs[] | Float64Array, shapes: Int32Array) -> handle | handle[] | undefined
napi_value Run(napi_env env, napi_callback_info info) {
  return guarded(env, [&]() -> napi_value {
    auto a = argv(env, info, 4);
    auto index = static_cast<size_t>(numberOf(env, a[0]));
    auto& ops = registry();
    if (index >= ops.size()) throw std::out_of_range("unknown op index");
    OpArgs args;
    uint32_t n;
    NAPI_OK(napi_get_array_length(env, a[1], &n));
    args.in.reserve(n);
    for (uint32_t i = 0; i < n; i++) {
      napi_value e;
      NAPI_OK(napi_get_element(env, a[1], i, &e));
      args.in.push_back(tensorOf(env, e));
    }
    bool isTyped = false;
    NAPI_OK(napi_is_typedarray(env, a[2], &isTyped));
    if (isTyped) {
      napi_typedarray_type type;
      size_t length;
      void* data;
      napi_value buffer;
      size_t offset;
      NAPI_OK(napi_get_typedarray_info(env, a[2], &type, &length, &data, &buffer, &offset));
      if (type != napi_float64_array) throw std::invalid_argument("attrs must be a Float64Array");
      auto* p = static_cast<double*>(data);
      args.attr.assign(p, p + length);
    } else {
      NAPI_OK(napi_get_array_length(env, a[2], &n));
      args.attr.resize(n);
      for (uint32_t i = 0; i < n; i++) {
        napi_value e;
        NAPI_OK(napi_get_element(env, a[2], i, &e));
        args.attr[i] = numberOf(env, e);
      }
    }
    auto outs = ops[index].fn(args);
    for (auto& t : outs) t = normalise(std::move(t));
    writeShapes(env, a[3], outs);
    if (outs.empty()) return undefinedValue(env);
    if (outs.size() == 1) return wrap(env, std::move(outs[0]));
    napi_value arr;
    NAPI_OK(napi_create_array_with_length(env, outs.size(), &arr));
    for (size_t i = 0; i < outs.size(); i++) NAPI_OK(napi_set_element(env, arr, static_cast<uint32_t>(i), wrap(env, std::move(outs[i]))));
    return arr;
  });
}

// ops() -> names in index order.
napi_value Ops(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value arr;
    auto& ops = registry();
    NAPI_OK(napi_create_array_with_length(env, ops.size(), &arr));
    for (size_t i = 0; i < ops.size(); i++) {
      napi_value s;
      NAPI_OK(napi_create_string_utf8(env, ops[i].name.c_str(), ops[i].name.size(), &s));
      NAPI_OK(napi_set_element(env, arr, static_cast<uint32_t>(i), s));
    }
    return arr;
  });
}

// setThreads(n) -> threads now in use (n <= 0 keeps the current count).
napi_value SetThreads(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = argv(env, info, 1);
    auto n = static_cast<int>(numberOf(env, a[0]));
    if (n > 0) at::set_num_threads(n);
    return numberValue(env, at::get_num_threads());
  });
}

// setDevice('cpu' | 'cuda' | 'cuda:N') -> the device now used, e.g. 'cuda:0'.
napi_value SetDevice(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = argv(env, info, 1);
    at::Device device{stringOf(env, a[0])};
    if (device.is_cuda() && !at::hasCUDA()) throw std::invalid_argument("this libtorch build has no CUDA device");
    if (device.is_cuda() && !device.has_index()) device = at::Device(at::kCUDA, 0);
    currentDevice() = device;
    return stringValue(env, device.str());
  });
}

// setPrecision('fp32' | 'bf16' | 'fp16') -> the precision now used: what convolutions and
// matmuls compute in (precision.cc); fp16 only on a CUDA device.
napi_value SetPrecision(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = argv(env, info, 1);
    auto name = stringOf(env, a[0]);
    if (name == "fp32") setComputeType(at::kFloat);
    else if (name == "bf16") setComputeType(at::kBFloat16);
    else if (name == "fp16") setComputeType(at::kHalf);
    else throw std::invalid_argument("unknown precision " + name + " (fp32, bf16 or fp16)");
    return stringValue(env, name);
  });
}

// info() -> { torch, threads, cuda, cudaDevices, mkldnn, openmp, liveHandles, liveBytes }
napi_value Info(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    napi_value o;
    NAPI_OK(napi_create_object(env, &o));
    auto setNum = [&](const char* k, double v) { NAPI_OK(napi_set_named_property(env, o, k, numberValue(env, v))); };
    auto setBool = [&](const char* k, bool v) {
      napi_value b;
      NAPI_OK(napi_get_boolean(env, v, &b));
      NAPI_OK(napi_set_named_property(env, o, k, b));
    };
    napi_value ver;
    NAPI_OK(napi_create_string_utf8(env, TORCH_VERSION, NAPI_AUTO_LENGTH, &ver));
    NAPI_OK(napi_set_named_property(env, o, "torch", ver));
    setNum("threads", at::get_num_threads());
    setBool("cuda", at::hasCUDA());
    setBool("mkldnn", at::hasMKLDNN());
    setBool("openmp", at::hasOpenMP());
    setNum("liveHandles", static_cast<double>(liveHandles.load()));
    setNum("liveBytes", static_cast<double>(liveBytes.load()));
    setNum("layoutCopies", static_cast<double>(layoutCopies.load()));
    setNum("layoutCopyBytes", static_cast<double>(layoutCopyBytes.load()));
    auto [derived, derivedBytes] = derivedTotals();
    setNum("derivedTensors", static_cast<double>(derived));
    setNum("derivedBytes", static_cast<double>(derivedBytes));
    auto precision = computeType() == at::kBFloat16 ? "bf16" : computeType() == at::kHalf ? "fp16" : "fp32";
    napi_value p;
    NAPI_OK(napi_create_string_utf8(env, precision, NAPI_AUTO_LENGTH, &p));
    NAPI_OK(napi_set_named_property(env, o, "precision", p));
    return o;
  });
}

// A training step frees and re-allocates the same large activation buffers every step. glibc
// serves blocks over its mmap threshold with fresh mmaps (page faults and zeroing each time) and
// returns freed heap tops to the kernel; keeping blocks up to 32 MiB on the heap and not trimming
// below 1 GiB makes later steps reuse warm memory (measured: ResNet-18 training 1.1-1.4x faster).
// MLC_PIPE_NATIVE_MALLOC=default keeps glibc's defaults.
void tuneMalloc() {
#if defined(__GLIBC__)
  const char* v = std::getenv("MLC_PIPE_NATIVE_MALLOC");
  if (v != nullptr && std::strcmp(v, "default") == 0) return;
  mallopt(M_MMAP_THRESHOLD, 32 << 20);
  mallopt(M_TRIM_THRESHOLD, 1 << 30);
#endif
}

napi_value Init(napi_env env, napi_value exports) {
  tuneMalloc();
  napi_property_descriptor props[] = {
      {"fromArray", nullptr, FromArray, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"toArray", nullptr, ToArray, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"free", nullptr, Free, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"run", nullptr, Run, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"ops", nullptr, Ops, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setThreads", nullptr, SetThreads, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setDevice", nullptr, SetDevice, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"setPrecision", nullptr, SetPrecision, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"info", nullptr, Info, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
  defineDistExports(env, exports);
  return exports;
}

}  // namespace
}  // namespace mlc

NAPI_MODULE(NODE_GYP_MODULE_NAME, mlc::Init)
