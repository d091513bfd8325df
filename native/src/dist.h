// The process group of dist.cc, for other kernel families that need a collective inside an op
// (sync_norm.cc: synchronised batch norm).
#pragma once

#include <ATen/ATen.h>

namespace mlc {

// Replaces `t` (a dense CPU tensor, float or double) by its sum over all ranks, in place; blocks
// until done (c10d's timeout bounds the wait). Throws when no process group was joined or the
// addon was built without c10d.
void allreduceSum(at::Tensor& t);

}  // namespace mlc
