// The process group of dist.cc, for other kernel families that need a collective inside an op
// (sync_norm.cc: synchronised batch norm).
#pragma once

#include <ATen/ATen.h>

#include <functional>

namespace mlc {

// Replaces `t` (a dense CPU tensor, float or double) by its sum over all ranks, in place; blocks
// until done (c10d's timeout bounds the wait). Throws when no process group was joined or the
// addon was built without c10d.
void allreduceSum(at::Tensor& t);

// Starts the same sum asynchronously (Gloo's worker threads; NCCL's stream on CUDA) and returns
// the wait: `t` must stay untouched until that has been called.
std::function<void()> allreduceStart(at::Tensor& t);

}  // namespace mlc
