#!/usr/bin/env bash
# WebGPU engine check for a session that has a GPU machine (issue 4). Installs nothing from the
# network: the device machine cannot reach it, and node_modules is far over the 64 MiB that a
# device run may carry. So it works in two phases:
#
#   bash bench/engine/gpu-check.sh prepare
#       here (with node_modules): bundles bench/engine/engine.ts with tfjs, the wasm and webgpu
#       backends and the custom kernels into bench/out/gpu/engine.mjs (esbuild), and copies the
#       wasm binaries, the webgpu package (Dawn for Node, linux-x64 only), an xz-packed node binary
#       and the cpu reference trace for --verify beside it (~50 MiB; bench/out is git-ignored).
#   run tool:  command "bash bench/engine/gpu-check.sh run", carry ["bench/out/gpu"], timeout_s 540
#       on the GPU machine: prints nvidia-smi and Vulkan facts, verifies the webgpu engine against
#       cpu on a tiny ResNet-18 (same weights: forward logits and two Adam steps), then times
#       ResNet-18 train + inference on webgpu and wasm (64x64 b16, 48x144 b32) with the PyTorch
#       peer when /usr/bin/python3 has torch, and prints the table and ratios.
#
# Environment: STEPS (default 5), SIZES (default 64x64x16,48x144x32), DAWN_FLAGS (e.g. backend=vulkan).
set -euo pipefail
root="$(cd "$(dirname "$0")/../.." && pwd)"
out="$root/bench/out/gpu"

prepare() {
  rm -rf "$out" && mkdir -p "$out/node_modules/webgpu/dist"
  npx esbuild "$root/bench/engine/engine.ts" --bundle --platform=node --format=esm --target=node20 \
    --outfile="$out/engine.mjs" --external:webgpu --external:@tensorflow/tfjs-node --external:@tensorflow/tfjs-node-gpu \
    --log-level=warning \
    --banner:js="import{createRequire as __cr}from'node:module';import{fileURLToPath as __fu}from'node:url';import{dirname as __dn}from'node:path';const require=__cr(import.meta.url);const __filename=__fu(import.meta.url);const __dirname=__dn(__filename);"
  cp "$root"/node_modules/@tensorflow/tfjs-backend-wasm/dist/*.wasm "$out/"
  cp "$root"/node_modules/webgpu/{index.js,package.json} "$out/node_modules/webgpu/"
  cp -r "$root/node_modules/webgpu/dist/linux-x64" "$out/node_modules/webgpu/dist/"
  xz -T2 -6 -c "$(readlink -f "$(command -v node)")" > "$out/node.xz"
  cp "$root/../shared/reference/torch_reference.py" "$out/" 2>/dev/null || true
  echo "computing the cpu reference trace for --verify (a few minutes)"
  npx tsx "$root/bench/engine/engine.ts" --verify cpu --reference "$out/verify-cpu.json"
  du -sh "$out"
}

run() {
  cd "$root"
  echo "== machine"; nvidia-smi --query-gpu=name,driver_version,memory.total --format=csv 2>&1 || echo "no nvidia-smi"
  ls /usr/lib/x86_64-linux-gnu/libvulkan.so.1 /usr/share/vulkan/icd.d/ /etc/vulkan/icd.d/ 2>&1 || true
  local node=node
  if ! command -v node >/dev/null; then xz -dc "$out/node.xz" > /tmp/node && chmod +x /tmp/node && node=/tmp/node; fi
  echo "node $("$node" --version)"
  local torch=off script="$out/torch_reference.py"
  [ -f "$root/../shared/reference/torch_reference.py" ] && script="$root/../shared/reference/torch_reference.py"
  /usr/bin/python3 -c 'import torch' 2>/dev/null && [ -f "$script" ] && torch=auto
  echo "== verify webgpu against cpu"
  "$node" "$out/engine.mjs" --verify webgpu --reference "$out/verify-cpu.json" || echo "VERIFY FAILED"
  echo "== speed"
  "$node" "$out/engine.mjs" --engines webgpu,wasm --sizes "${SIZES:-64x64x16,48x144x32}" --steps "${STEPS:-5}" \
    --torch "$torch" --torch-script "$script" --out "$out/engine.json"
}

case "${1:-}" in
  prepare) prepare ;;
  run) run ;;
  *) echo "usage: $0 prepare|run" >&2; exit 2 ;;
esac
