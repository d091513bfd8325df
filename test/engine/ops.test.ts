/**
 * The custom ops' layout (docs/design.md, "Engines and kernels"): one folder per op under
 * src/engine/ops/ with its kernel name (name.ts) and its function (<op>.ts); every kernel name is
 * an op of the addon's C++ (native/src), and every native kernel an op folder declares is in the
 * list native/index.ts registers (ops/native-kernels.ts), so a new op cannot be half-wired.
 */
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import type { KernelConfig } from '@tensorflow/tfjs-core';
import { opNativeKernels } from '../../src/engine/ops/native-kernels.ts';
import { REPO } from '../runner/project.ts';

const OPS = path.join(REPO, 'src', 'engine', 'ops');
/** Folders that replace a stock tfjs kernel's gradient: no kernel of their own. */
const GRADIENT_ONLY = ['fused-batch-norm'];
const folders = readdirSync(OPS, { withFileTypes: true })
  .filter((e) => e.isDirectory())
  .map((e) => e.name);

/** The kernel names an op folder's name.ts declares. */
function declaredNames(op: string): string[] {
  return [...readFileSync(path.join(OPS, op, 'name.ts'), 'utf8').matchAll(/export const \w+ = '(\w+)'/g)].map(
    (m) => m[1]!,
  );
}

/** Every op the addon registers (`Register x("Name", …)` in native/src/*.cc). */
function addonOps(): Set<string> {
  const dir = path.join(REPO, 'native', 'src');
  return new Set(
    readdirSync(dir)
      .filter((f) => f.endsWith('.cc'))
      .flatMap((f) =>
        [
          ...readFileSync(path.join(dir, f), 'utf8').matchAll(
            /\b(?:Register|BINARY|UNARY)\s*\(?\s*\w*\s*[(,]\s*"(\w+)"/g,
          ),
        ].map((m) => m[1]!),
      ),
  );
}

describe('src/engine/ops', () => {
  it('each op folder has its kernel name (name.ts) and its function (<op>.ts)', () => {
    expect(folders.length).toBeGreaterThanOrEqual(5);
    const missing = folders
      .filter((op) => !GRADIENT_ONLY.includes(op))
      .flatMap((op) =>
        ['name.ts', `${op}.ts`].filter((f) => !existsSync(path.join(OPS, op, f))).map((f) => `${op}/${f}`),
      );
    expect(missing).toEqual([]);
  });

  it("every kernel name is an op of the addon's C++", () => {
    const ops = addonOps();
    expect(ops.has('MlcPipeReluGrad')).toBe(true); // the scan reads the C++ registrations
    const unknown = folders
      .filter((op) => !GRADIENT_ONLY.includes(op))
      .flatMap((op) =>
        declaredNames(op)
          .filter((n) => !ops.has(n))
          .map((n) => `${op}: ${n}`),
      );
    expect(unknown).toEqual([]);
  });

  it('every native kernel an op folder declares is in ops/native-kernels.ts', async () => {
    const registered = new Set(opNativeKernels.map((c) => c.kernelName));
    const declared: string[] = [];
    for (const op of folders.filter((o) => existsSync(path.join(OPS, o, 'native.ts')))) {
      const mod = (await import(path.join(OPS, op, 'native.ts'))) as Record<string, unknown>;
      for (const v of Object.values(mod)) {
        if (Array.isArray(v) && v.every((c) => typeof (c as KernelConfig).kernelName === 'string'))
          declared.push(...(v as KernelConfig[]).map((c) => c.kernelName));
      }
    }
    expect(declared.length).toBeGreaterThanOrEqual(4);
    expect(declared.filter((n) => !registered.has(n))).toEqual([]);
  });
});
