// Data-parallel training on PyTorch's c10d (src/train/distributed/ is the JS side): one process
// group per process, Gloo over a c10d TCPStore rendezvous on CPU. Nothing here is our own
// collective or rendezvous: the store is c10d::TCPStore, the reductions c10d::ProcessGroupGloo.
//
// N-API functions (exported next to addon.cc's):
//   distAvailable() -> '' when c10d Gloo was compiled in, else the reason
//   distStore(host, port, isServer, timeoutMs) -> the store's port (a server on port 0 binds a free one)
//   distGroup(rank, size, deviceHost, timeoutMs)   rendezvous through the store (blocks until all join)
//   distSet(key, value) / distGet(key) -> value    small strings through the store (get waits up to the timeout)
//   distBarrier(), distShutdown()
// Ops (registry.h, called on gradient handles by src/engine/native):
//   MlcPipeDistAllreduce: in [t...]; attr [scale, bucketBytes] -> new tensors Σ_ranks scale_r·t_r.
//     Tensors are packed into buckets of at most bucketBytes (PyTorch DDP's default: 25 MiB), last
//     tensor first (the gradients of the last layers come first in DDP's order too); each bucket
//     is flattened in the tensors' own memory order (an OIHW-backed filter gradient stays OIHW,
//     so the optimizer keeps updating in place), all-reduced asynchronously (Gloo's worker threads
//     reduce bucket k while this thread packs bucket k+1), then unflattened into new tensors.
//   MlcPipeDistBroadcast: in [t...]; attr [root] -> new tensors holding root's values.
// NCCL (a CUDA libtorch build: binding.gyp defines MLC_WITH_NCCL when native/cuda.mjs finds
// libtorch_cuda.so, c10d's ProcessGroupNCCL.hpp, nccl.h and the CUDA headers): distGroup also makes
// a c10d::ProcessGroupNCCL over the same store (keys under "nccl/"), and every collective picks
// NCCL for CUDA tensors and Gloo for CPU ones (groupFor). NCCL creates its communicators at the
// first collective, on that tensor's device. Designed, not built or measured here (no CUDA
// libtorch on these machines); see README "Data-parallel training".
#include <node_api.h>

#if __has_include(<gloo/context.h>)
#define USE_C10D_GLOO 1
#define MLC_HAVE_GLOO 1
#include <torch/csrc/distributed/c10d/ProcessGroupGloo.hpp>
#include <torch/csrc/distributed/c10d/TCPStore.hpp>
#endif
#if defined(MLC_WITH_NCCL)
#include <torch/csrc/distributed/c10d/PrefixStore.hpp>
#include <torch/csrc/distributed/c10d/ProcessGroupNCCL.hpp>
#endif

#include <chrono>
#include <stdexcept>
#include <string>

#include "dist.h"
#include "napi_glue.h"
#include "registry.h"

namespace mlc {
namespace {

#if defined(MLC_HAVE_GLOO)
struct Dist {
  c10::intrusive_ptr<c10d::TCPStore> store;
  c10::intrusive_ptr<c10d::ProcessGroup> group;  // Gloo: CPU tensors, barriers
  c10::intrusive_ptr<c10d::ProcessGroup> nccl;   // CUDA tensors (MLC_WITH_NCCL builds with a GPU)
  std::chrono::milliseconds timeout{300000};
};
Dist& dist() {
  static Dist d;
  return d;
}
c10d::ProcessGroup& group() {
  if (!dist().group) throw std::runtime_error("no process group: distGroup() was not called");
  return *dist().group;
}
// The group that reduces `t`: NCCL for a CUDA tensor when the addon has it, else Gloo.
c10d::ProcessGroup& groupFor(const at::Tensor& t) {
  if (t.is_cuda() && dist().nccl) return *dist().nccl;
  return group();
}
#endif

using Out = std::vector<at::Tensor>;

// A dense tensor's memory as a 1-D view, in whatever order it is stored.
at::Tensor raw(const at::Tensor& t) {
  auto d = dense(t) ? t : t.contiguous();
  return d.as_strided({d.numel()}, {1}, d.storage_offset());
}

#if defined(MLC_HAVE_GLOO)
struct Bucket {
  std::vector<size_t> members;
  at::Tensor flat;
  c10::intrusive_ptr<c10d::Work> work;
};

// Packs the inputs into flat float buckets of at most `cap` bytes (last input first), starts
// `collective` on each as soon as it is packed, then waits for each and unpacks it into new
// tensors with the inputs' shapes and memory order.
template <typename Start>
Out bucketed(const OpArgs& a, int64_t cap, Start&& collective) {
  size_t n = a.in.size();
  std::vector<Bucket> buckets;
  int64_t bytes = 0;
  for (size_t k = n; k-- > 0;) {
    int64_t b = a.x(k).numel() * 4;
    if (buckets.empty() || (bytes + b > cap && !buckets.back().members.empty())) buckets.emplace_back(), bytes = 0;
    buckets.back().members.push_back(k);
    bytes += b;
  }
  for (auto& bucket : buckets) {
    std::vector<at::Tensor> parts;
    for (auto k : bucket.members) parts.push_back(raw(a.x(k).to(at::kFloat)));
    bucket.flat = at::cat(parts);
    bucket.work = collective(bucket.flat);
  }
  Out out(n);
  for (auto& bucket : buckets) {
    bucket.work->wait(dist().timeout);
    int64_t off = 0;
    for (auto k : bucket.members) {
      const auto& t = a.x(k);
      auto opts = t.options().dtype(at::kFloat);
      auto o = dense(t) ? at::empty_strided(t.sizes(), t.strides(), opts) : at::empty(t.sizes(), opts);
      raw(o).copy_(bucket.flat.narrow(0, off, t.numel()));
      off += t.numel();
      out[k] = o;
    }
  }
  return out;
}

Out allreduce(const OpArgs& a) {
  double scale = a.num(0);
  return bucketed(a, std::max<int64_t>(1, a.i64(1)), [&](at::Tensor& flat) {
    if (scale != 1) flat.mul_(scale);
    std::vector<at::Tensor> io{flat};
    return groupFor(flat).allreduce(io);
  });
}

Out broadcast(const OpArgs& a) {
  c10d::BroadcastOptions opts;
  opts.rootRank = a.i64(0);
  return bucketed(a, int64_t{25} << 20, [&](at::Tensor& flat) {
    std::vector<at::Tensor> io{flat};
    return groupFor(flat).broadcast(io, opts);
  });
}
#else
[[noreturn]] void unavailable() { throw std::runtime_error("this addon was built without c10d Gloo (install libgloo-dev, then npm run build:native)"); }
Out allreduce(const OpArgs&) { unavailable(); }
Out broadcast(const OpArgs&) { unavailable(); }
#endif

Register allreduceOp("MlcPipeDistAllreduce", allreduce);
Register broadcastOp("MlcPipeDistBroadcast", broadcast);

template <typename F>
napi_value guarded(napi_env env, F&& f) {
  return guardedWith(env, "MLC_DIST", std::forward<F>(f));
}

#if defined(MLC_HAVE_GLOO)
napi_value Available(napi_env env, napi_callback_info) { return guarded(env, [&] { return stringValue(env, ""); }); }

napi_value Store(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = argv(env, info, 4);
    c10d::TCPStoreOptions opts;
    opts.port = static_cast<std::uint16_t>(numberOf(env, a[1]));
    bool server = false;
    NAPI_OK(napi_get_value_bool(env, a[2], &server));
    opts.isServer = server;
    opts.waitWorkers = false;
    opts.timeout = std::chrono::milliseconds(static_cast<int64_t>(numberOf(env, a[3])));
    dist().timeout = opts.timeout;
    dist().store = c10::make_intrusive<c10d::TCPStore>(stringOf(env, a[0]), opts);
    return numberValue(env, dist().store->getPort());
  });
}

napi_value Group(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = argv(env, info, 4);
    if (!dist().store) throw std::runtime_error("no store: distStore() was not called");
    auto rank = static_cast<int>(numberOf(env, a[0]));
    auto size = static_cast<int>(numberOf(env, a[1]));
    dist().timeout = std::chrono::milliseconds(static_cast<int64_t>(numberOf(env, a[3])));
    auto opts = c10d::ProcessGroupGloo::Options::create(dist().timeout);
    opts->devices.push_back(c10d::ProcessGroupGloo::createDeviceForHostname(stringOf(env, a[2])));
    opts->threads = 2;
    dist().group = c10::make_intrusive<c10d::ProcessGroupGloo>(dist().store, rank, size, opts);
#if defined(MLC_WITH_NCCL)
    if (at::hasCUDA()) {
      auto ncclOpts = c10d::ProcessGroupNCCL::Options::create();
      ncclOpts->timeout = dist().timeout;
      auto prefixed = c10::make_intrusive<c10d::PrefixStore>("nccl/", dist().store);
      dist().nccl = c10::make_intrusive<c10d::ProcessGroupNCCL>(prefixed, rank, size, ncclOpts);
      return stringValue(env, "gloo+nccl");
    }
#endif
    return stringValue(env, "gloo");
  });
}

napi_value Set(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = argv(env, info, 2);
    if (!dist().store) throw std::runtime_error("no store: distStore() was not called");
    auto v = stringOf(env, a[1]);
    dist().store->set(stringOf(env, a[0]), std::vector<uint8_t>(v.begin(), v.end()));
    return undefinedValue(env);
  });
}

napi_value Get(napi_env env, napi_callback_info info) {
  return guarded(env, [&] {
    auto a = argv(env, info, 1);
    if (!dist().store) throw std::runtime_error("no store: distStore() was not called");
    auto v = dist().store->get(stringOf(env, a[0]));
    return stringValue(env, std::string(v.begin(), v.end()));
  });
}

napi_value Barrier(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    group().barrier()->wait(dist().timeout);
    return undefinedValue(env);
  });
}

napi_value Shutdown(napi_env env, napi_callback_info) {
  return guarded(env, [&] {
    dist().nccl.reset();
    dist().group.reset();
    dist().store.reset();
    return undefinedValue(env);
  });
}
#else
napi_value Available(napi_env env, napi_callback_info) {
  return guarded(env, [&] { return stringValue(env, "the addon was built without c10d Gloo (install libgloo-dev, then npm run build:native)"); });
}
napi_value Unavailable(napi_env env, napi_callback_info) {
  return guarded(env, [&]() -> napi_value { unavailable(); });
}
#define Store Unavailable
#define Group Unavailable
#define Set Unavailable
#define Get Unavailable
#define Barrier Unavailable
#define Shutdown Unavailable
#endif

}  // namespace

void allreduceSum(at::Tensor& t) { allreduceStart(t)(); }

std::function<void()> allreduceStart(at::Tensor& t) {
#if defined(MLC_HAVE_GLOO)
  std::vector<at::Tensor> io{t};
  auto work = groupFor(t).allreduce(io);
  auto timeout = dist().timeout;
  return [work, timeout] { work->wait(timeout); };
#else
  unavailable();
#endif
}

// Adds the dist* functions to the addon's exports (called from addon.cc's Init).
void defineDistExports(napi_env env, napi_value exports) {
  napi_property_descriptor props[] = {
      {"distAvailable", nullptr, Available, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"distStore", nullptr, Store, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"distGroup", nullptr, Group, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"distSet", nullptr, Set, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"distGet", nullptr, Get, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"distBarrier", nullptr, Barrier, nullptr, nullptr, nullptr, napi_default, nullptr},
      {"distShutdown", nullptr, Shutdown, nullptr, nullptr, nullptr, napi_default, nullptr},
  };
  napi_define_properties(env, exports, sizeof props / sizeof props[0], props);
}

}  // namespace mlc
