/**
 * The precision policy (src/engine/precision.ts, issue #22): which CPUs count as having bf16
 * units, what `auto` resolves to per engine and device, that an explicit bf16 is refused (exit 2)
 * on engines without mixed precision, that the engine start sets the addon's compute type and says
 * which precision runs, and that a pipeline's params hold the resolved precision (the cache key),
 * including `--precision`.
 */
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
import { initEngine } from '../../src/engine/index.ts';
import { loadAddon } from '../../src/engine/native/addon.ts';
import { cpuBf16Units, resolvePrecision, resolvePrecisionParams } from '../../src/engine/precision.ts';
import { ConfigError } from '../../src/errors.ts';
import { loadPipeline } from '../../src/index.ts';
import { builtinStages } from '../../stages/registry.ts';
import { tempProject } from '../runner/project.ts';
import { available } from './native/compare.ts';

const flagsLine = (flags: string) =>
  `processor\t: 0\nvendor_id\t: GenuineIntel\nflags\t\t: fpu vme sse2 avx2 avx512f avx512bw ${flags}\nbugs\t\t: spectre_v1\n`;
const NONE = { amx: false, avx512bf16: false };

describe('cpuBf16Units', () => {
  it('reads amx_bf16 and avx512_bf16 from the flags line only', () => {
    expect(cpuBf16Units(flagsLine('avx512_vnni amx_bf16 amx_tile avx512_bf16'))).toEqual({
      amx: true,
      avx512bf16: true,
    });
    expect(cpuBf16Units(flagsLine('avx512_vnni avx512_bf16'))).toEqual({ amx: false, avx512bf16: true });
    // avx512_vnni alone (this project's CI machines): none.
    expect(cpuBf16Units(flagsLine('avx512_vnni'))).toEqual(NONE);
    expect(cpuBf16Units('model name\t: amx_bf16 in a name is no flag\n')).toEqual(NONE);
    expect(cpuBf16Units('')).toEqual(NONE);
  });
});

describe('resolvePrecision', () => {
  const amx = { amx: true, avx512bf16: true };
  it.each([
    ['auto', 'native', true, 'cpu', amx, 'bf16', 'auto: CPU has amx_bf16, avx512_bf16'],
    ['auto', 'auto', true, 'cpu', { amx: false, avx512bf16: true }, 'bf16', 'auto: CPU has avx512_bf16'],
    [
      'auto',
      'native',
      true,
      'cpu',
      NONE,
      'fp32',
      'auto: CPU has no bf16 units (no amx_bf16 or avx512_bf16; oneDNN would only emulate bf16, slower than fp32)',
    ],
    ['auto', 'native', true, 'cuda:0', NONE, 'bf16', 'auto: device cuda:0'],
    ['auto', 'wasm', false, 'cpu', amx, 'fp32', 'auto: engine wasm has no mixed precision'],
    ['auto', 'auto', false, 'cpu', amx, 'fp32', 'auto: engine auto has no mixed precision'],
    ['fp32', 'native', true, 'cpu', amx, 'fp32', 'asked for'],
    ['bf16', 'native', true, 'cpu', NONE, 'bf16', 'asked for'],
    ['bf16', 'cpu', false, 'cpu', amx, 'bf16', 'refused: engine cpu has no mixed precision'],
  ] as const)(
    '%s on engine %s (native %s, %s, cpu %o) → %s',
    (requested, engine, native, device, cpu, precision, reason) => {
      expect(resolvePrecision(requested, { engine, native, device, cpu })).toEqual({ precision, reason });
    },
  );

  it('resolvePrecisionParams resolves only auto, for the engine the params name', () => {
    expect(resolvePrecisionParams({ precision: 'auto', engine: 'cpu' })).toEqual({ precision: 'fp32', engine: 'cpu' });
    expect(resolvePrecisionParams({ precision: 'bf16', engine: 'cpu' })).toEqual({ precision: 'bf16', engine: 'cpu' });
    const here = resolvePrecision('auto', {
      engine: 'native',
      native: available,
      device: process.env.MLC_PIPE_DEVICE ?? 'cpu',
    }).precision;
    expect(resolvePrecisionParams({ precision: 'auto', engine: 'native' }).precision).toBe(here);
  });
});

describe('the engine start', () => {
  afterAll(() => loadAddon().addon?.setPrecision('fp32'));

  it('refuses bf16 on an engine without mixed precision, before anything runs (exit 2)', async () => {
    const err = await initEngine({ engine: 'cpu', precision: 'bf16' }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).exitCode).toBe(2);
    expect((err as Error).message).toBe(
      'precision bf16: engine cpu has no mixed precision (bf16 runs on the native engine only)',
    );
  });

  it('refuses an unknown precision with the valid ones', async () => {
    await expect(initEngine({ engine: 'cpu', precision: 'bf61' as never })).rejects.toThrow(
      'unknown precision "bf61"; valid: auto, fp32, bf16',
    );
  });

  it('auto on the cpu engine runs fp32 and says so', async () => {
    const lines: string[] = [];
    const info = await initEngine({ engine: 'cpu', precision: 'auto', log: (l) => lines.push(l) });
    expect([info.precision, info.precisionReason]).toEqual(['fp32', 'auto: engine cpu has no mixed precision']);
    expect(lines).toContain('precision: fp32 (auto: engine cpu has no mixed precision)');
  });

  it.runIf(available)(
    'native: auto resolves for this CPU, bf16 sets the addon and the console line names it',
    async () => {
      const lines: string[] = [];
      const auto = await initEngine({ engine: 'native', threads: 1, precision: 'auto', log: (l) => lines.push(l) });
      const expected = resolvePrecision('auto', { engine: 'native', native: true, device: 'cpu' });
      expect([auto.precision, auto.precisionReason]).toEqual([expected.precision, expected.reason]);
      expect(loadAddon().addon!.info().precision).toBe(expected.precision);
      const bf16 = await initEngine({ engine: 'native', threads: 1, precision: 'bf16', log: (l) => lines.push(l) });
      expect(bf16.precision).toBe('bf16');
      expect(loadAddon().addon!.info().precision).toBe('bf16');
      expect(lines).toContain('engine used: native, 1 thread, bf16');
      await initEngine({ engine: 'native', threads: 1, precision: 'fp32' });
      expect(loadAddon().addon!.info().precision).toBe('fp32');
    },
  );
});

describe('a pipeline keys the resolved precision', () => {
  const yaml = (precision: string, engine: string) => `name: p
stages:
  train:
    uses: train
    with: { train_labels: t.txt, val_labels: t.txt, classes: c.json, engine: ${engine}, precision: ${precision} }
  evaluate:
    uses: evaluate
    needs: [train]
    with: { model: models/run, labels: t.txt, engine: ${engine}, precision: ${precision} }
`;
  const load = async (precision: string, engine: string, precisionFlag?: string) => {
    const dir = tempProject({ 'p.yaml': yaml(precision, engine), 't.txt': '', 'c.json': '{}' });
    const paramOverrides = precisionFlag ? [{ flag: '--precision', param: 'precision', value: precisionFlag }] : [];
    const p = await loadPipeline(path.join(dir, 'p.yaml'), { stages: builtinStages, paramOverrides });
    return p.stages.map((s) => (s.kind === 'module' ? s.params.precision : undefined));
  };

  it('auto becomes fp32 for the cpu engine; fp32 and bf16 stay as written', async () => {
    expect(await load('auto', 'cpu')).toEqual(['fp32', 'fp32']);
    expect(await load('bf16', 'native')).toEqual(['bf16', 'bf16']);
    expect(await load('fp32', 'native')).toEqual(['fp32', 'fp32']);
  });

  it('--precision overrides every stage that has the param', async () => {
    expect(await load('fp32', 'native', 'bf16')).toEqual(['bf16', 'bf16']);
  });
});
