/**
 * initEngine: auto starts native (libtorch) when the addon is built; without it (hidden by the
 * MLC_PIPE_NATIVE=off test switch) the chain falls back cleanly on a machine without tfjs-node and
 * without a GPU (this one) and explains why; named engines start or fail with their own reason; bad names fail
 * with the list of valid ones.
 */
import { afterAll, describe, expect, it } from 'vitest';
import { ENGINE_NAMES, initEngine, shutdownEngine, tf } from '../../src/engine/index.ts';
import { hasVulkanLoader } from '../../src/engine/start/backends/webgpu.ts';
import { ConfigError, MlcPipeError } from '../../src/errors.ts';
import { loadAddon } from '../../src/engine/native/addon.ts';

const hasTfjsNode = await import('@tensorflow/tfjs-node' as string).then(
  () => true,
  () => false,
);

const hasNative = loadAddon().addon != null;

afterAll(shutdownEngine);

describe('initEngine', () => {
  it.runIf(hasNative)('auto: starts native first, on every core, and says which libtorch', async () => {
    const lines: string[] = [];
    // The test config pins one thread per fork (MLC_PIPE_THREADS=1); the default is every core.
    const pinned = process.env.MLC_PIPE_THREADS;
    delete process.env.MLC_PIPE_THREADS;
    let info;
    try {
      info = await initEngine({ engine: 'auto', log: (m) => lines.push(m) });
    } finally {
      if (pinned !== undefined) process.env.MLC_PIPE_THREADS = pinned;
    }
    expect(info.backend).toBe('native');
    expect(info.reasons).toEqual([]);
    const cores = (await import('node:os')).availableParallelism();
    expect(lines[0]).toBe(`engine used: native, ${cores} thread${cores === 1 ? '' : 's'}`); // the console's task line
    expect(lines[1]).toMatch(/^engine: native \(libtorch 1\.\d+\.\d+; device=cpu; threads=\d+; oneDNN=on\)$/);
    expect(lines[1]).toContain(`threads=${cores}`);
    expect(lines[2]).toBe('precision: fp32 (asked for)'); // initEngine's default; the stages' is auto
    expect(lines).toHaveLength(3); // no fallback warning
  });

  it.skipIf(hasTfjsNode || hasVulkanLoader())(
    'auto: falls back to wasm and says why native, tensorflow and webgpu were not used',
    async () => {
      const lines: string[] = [];
      process.env.MLC_PIPE_NATIVE = 'off';
      let info;
      try {
        info = await initEngine({ engine: 'auto', log: (m) => lines.push(m) });
      } finally {
        delete process.env.MLC_PIPE_NATIVE;
      }
      expect(info.backend).toBe('wasm');
      expect(tf.getBackend()).toBe('wasm');
      expect(info.reasons).toEqual([
        'native: hidden by MLC_PIPE_NATIVE=off',
        'tensorflow: @tensorflow/tfjs-node-gpu is not installed; @tensorflow/tfjs-node is not installed',
        'webgpu: no Vulkan loader (libvulkan.so.1) on this machine, so no GPU adapter for Dawn',
      ]);
      expect(info.notes.join(' ')).toContain('Conv2DBackpropFilter');
      expect(lines[0]).toBe('engine used: wasm, 1 thread');
      expect(lines[1]).toMatch(/^engine: wasm \(/);
      expect(lines[2]).toBe('precision: fp32 (asked for)');
      expect(lines.slice(3, -1)).toEqual(info.reasons.map((r) => `  not ${r}`));
      // One console line: why native was skipped, the fix, the expected slowdown.
      expect(lines.at(-1)).toBe(
        'warning: engine auto: native (libtorch) is not available (hidden by MLC_PIPE_NATIVE=off), so this runs on wasm, ' +
          'about 3-4x slower for training; fix: apt-get install libtorch-dev && npm run build:native',
      );
    },
  );

  it('cpu by name', async () => {
    const info = await initEngine({ engine: 'cpu' });
    expect(info).toMatchObject({ backend: 'cpu', reasons: [] });
    await initEngine({ engine: 'wasm' });
    expect(tf.getBackend()).toBe('wasm');
  });

  it.skipIf(hasTfjsNode)('tensorflow by name fails with the reason and a hint', async () => {
    const err = await initEngine({ engine: 'tensorflow' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError); // refused before any compute: exit 2
    expect((err as ConfigError).exitCode).toBe(2);
    expect((err as Error).message).toBe(
      'engine tensorflow: no engine could start (tensorflow: ' +
        '@tensorflow/tfjs-node-gpu is not installed; @tensorflow/tfjs-node is not installed)',
    );
    expect((err as MlcPipeError).hint).toBe('use engine: auto to fall back to another engine');
    expect(tf.getBackend()).toBe('wasm');
  });

  it.skipIf(hasVulkanLoader())('webgpu by name asks Dawn and reports that there is no adapter', async () => {
    const err = await initEngine({ engine: 'webgpu' }).catch((e: unknown) => e);
    expect((err as Error).message).toBe(
      'engine webgpu: no engine could start (webgpu: no WebGPU adapter ' +
        '(Dawn found no Vulkan, Metal or D3D12 GPU device))',
    );
    expect((globalThis as { navigator?: { gpu?: unknown } }).navigator?.gpu).toBeUndefined();
  });

  it('native by name, unavailable, is refused (exit 2) with the fix', async () => {
    process.env.MLC_PIPE_NATIVE = 'off';
    const err = await initEngine({ engine: 'native' }).catch((e: unknown) => e);
    delete process.env.MLC_PIPE_NATIVE;
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe('engine native: no engine could start (native: hidden by MLC_PIPE_NATIVE=off)');
    expect((err as MlcPipeError).hint).toBe(
      'apt-get install libtorch-dev && npm run build:native, or use engine: auto to fall back to another engine',
    );
  });

  it('rejects an unknown engine name with the valid ones', async () => {
    const err = await initEngine({ engine: 'tpu' as never }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as Error).message).toBe(`unknown engine "tpu"; valid: ${ENGINE_NAMES.join(', ')}`);
  });
});
