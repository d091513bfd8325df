import { createRequire } from 'node:module';
import { mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import path from 'node:path';
import { afterAll, describe, expect, it } from 'vitest';
// @ts-expect-error plain .mjs script without types
import { foreignBinaryDirs } from '../../scripts/prune-platform-binaries.mjs';

const dir = mkdtempSync(path.join(tmpdir(), 'mlc-prune-'));
afterAll(() => rmSync(dir, { recursive: true, force: true }));

describe("postinstall: other platforms' binaries of onnxruntime-node and webgpu", () => {
  const ort = path.join(dir, 'onnxruntime-node');
  const webgpu = path.join(dir, 'webgpu');
  for (const p of ['darwin/arm64', 'linux/arm64', 'linux/x64', 'win32/arm64', 'win32/x64']) {
    mkdirSync(path.join(ort, 'bin', 'napi-v6', p), { recursive: true });
  }
  for (const p of ['darwin-universal', 'linux-arm64', 'linux-x64', 'win32-x64'])
    mkdirSync(path.join(webgpu, 'dist', p), { recursive: true });
  writeFileSync(path.join(webgpu, 'dist', 'README.txt'), 'a file, not a platform');

  it("lists every folder but the running platform's", () => {
    const rel = (ps: string[]) => ps.map((p) => path.relative(dir, p)).sort();
    expect(rel(foreignBinaryDirs('linux', 'x64', { ort, webgpu }))).toEqual([
      'onnxruntime-node/bin/napi-v6/darwin/arm64',
      'onnxruntime-node/bin/napi-v6/linux/arm64',
      'onnxruntime-node/bin/napi-v6/win32/arm64',
      'onnxruntime-node/bin/napi-v6/win32/x64',
      'webgpu/dist/darwin-universal',
      'webgpu/dist/linux-arm64',
      'webgpu/dist/win32-x64',
    ]);
    // macOS: webgpu's one universal build stays
    expect(rel(foreignBinaryDirs('darwin', 'arm64', { ort, webgpu })).filter((p) => p.startsWith('webgpu'))).toEqual([
      'webgpu/dist/linux-arm64',
      'webgpu/dist/linux-x64',
      'webgpu/dist/win32-x64',
    ]);
    expect(foreignBinaryDirs('linux', 'x64', { ort: undefined, webgpu: undefined })).toEqual([]);
  });

  it('the installed onnxruntime-node and webgpu load from the folder kept for this platform', async () => {
    const ortDir = path.dirname(createRequire(import.meta.url).resolve('onnxruntime-node/package.json'));
    const kept = path.join(ortDir, 'bin', 'napi-v6', process.platform, process.arch);
    expect(foreignBinaryDirs(process.platform, process.arch)).not.toContain(kept);
    const ort = await import('onnxruntime-node');
    expect(
      typeof (ort.InferenceSession ?? (ort as unknown as { default: typeof ort }).default.InferenceSession).create,
    ).toBe('function');
  });

  it("package.json denies only onnxruntime-node's install script (its CUDA download) and reviews every other", () => {
    const pkg = JSON.parse(readFileSync(path.join(import.meta.dirname, '..', '..', 'package.json'), 'utf8'));
    expect(pkg.allowScripts['onnxruntime-node']).toBe(false);
    expect(
      Object.entries(pkg.allowScripts)
        .filter(([, v]) => v === false)
        .map(([k]) => k),
    ).toEqual(['onnxruntime-node']);
    // every installed dependency with an install script has an entry (npm warns about the others)
    const require = createRequire(import.meta.url);
    for (const name of ['esbuild', 'sharp', 'protobufjs', 'onnxruntime-node']) {
      const scripts = JSON.parse(readFileSync(require.resolve(`${name}/package.json`), 'utf8')).scripts ?? {};
      expect(
        ['preinstall', 'install', 'postinstall'].some((k) => k in scripts),
        name,
      ).toBe(true);
      expect(name in pkg.allowScripts, name).toBe(true);
    }
  });
});
