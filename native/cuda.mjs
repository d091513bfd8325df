#!/usr/bin/env node
// What binding.gyp needs to know about a CUDA libtorch (MLC_PIPE_LIBTORCH), printed for gyp's <!(…):
//   node cuda.mjs nccl      -> 1 when the libtorch has CUDA and c10d's NCCL process group
//                              (lib/libtorch_cuda.so, include/…/c10d/ProcessGroupNCCL.hpp) and nccl.h
//                              and the CUDA runtime headers are found; else 0 (Debian's CPU libtorch: 0)
//   node cuda.mjs includes  -> the include folders of nccl.h and cuda_runtime_api.h (space separated)
// Headers are looked for in MLC_PIPE_NCCL_INCLUDE / MLC_PIPE_CUDA_INCLUDE, then beside a PyTorch wheel's
// torch folder (site-packages/nvidia/{nccl,cuda_runtime}/include), then /usr/local/cuda/include, /usr/include.
import { existsSync } from 'node:fs';
import { join, resolve } from 'node:path';

const libtorch = process.env.MLC_PIPE_LIBTORCH ?? '';
function find(header, env, wheelDir) {
  const dirs = [
    process.env[env],
    libtorch && resolve(libtorch, '..', 'nvidia', wheelDir, 'include'),
    '/usr/local/cuda/include',
    '/usr/include',
  ].filter(Boolean);
  return dirs.find((d) => existsSync(join(d, header)));
}
const nccl = find('nccl.h', 'MLC_PIPE_NCCL_INCLUDE', 'nccl');
const cuda = find('cuda_runtime_api.h', 'MLC_PIPE_CUDA_INCLUDE', 'cuda_runtime');
const ok =
  libtorch !== '' &&
  existsSync(join(libtorch, 'lib', 'libtorch_cuda.so')) &&
  existsSync(join(libtorch, 'include', 'torch', 'csrc', 'distributed', 'c10d', 'ProcessGroupNCCL.hpp')) &&
  nccl !== undefined &&
  cuda !== undefined;
console.log(process.argv[2] === 'includes' ? (ok ? [...new Set([nccl, cuda])].join(' ') : '') : ok ? '1' : '0');
