/**
 * Content hashes, the stat index, code identity and the run-cache store.
 */
import { createHash } from 'node:crypto';
import { readFileSync, utimesSync, writeFileSync, existsSync, rmSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { CodeIdentity, importClosure } from '../../src/runner/hash/code-identity.ts';
import { HashIndex } from '../../src/runner/hash/hash-index.ts';
import { RunCache, runCacheKey } from '../../src/runner/store/run-cache.ts';
import { tempProject } from './project.ts';

const sha = (s: string | Buffer) => createHash('sha256').update(s).digest('hex');

/** Makes a file look old so the index may keep its entry (fresh files are never indexed). */
function age(file: string, seconds = 60): number {
  const t = Math.floor(Date.now() / 1000) - seconds; // whole seconds: utimes round-trips them exactly
  utimesSync(file, t, t);
  return t;
}

describe('HashIndex', () => {
  it('hashes files by content and folders as the sorted (path, hash) list', () => {
    const dir = tempProject({ 'd/b.txt': 'B', 'd/a/x.txt': 'X', 'f.txt': 'F' });
    const idx = new HashIndex(dir);
    expect(idx.hash('f.txt')).toBe(sha('F'));
    expect(idx.hash('d')).toBe(sha(`a/x.txt\0${sha('X')}\nb.txt\0${sha('B')}\n`));
    expect(idx.hash('missing')).toBeNull();
  });

  it('reuses an indexed hash while inode, mtime and size match, and rehashes when mtime changes', () => {
    const dir = tempProject({ 'f.txt': 'aaaa' });
    const f = path.join(dir, 'f.txt');
    const t = age(f);
    const idx = new HashIndex(dir);
    expect(idx.hash('f.txt')).toBe(sha('aaaa'));
    idx.save();
    writeFileSync(f, 'bbbb'); // same size; put the old mtime back: only the index can explain the old hash
    utimesSync(f, t, t);
    expect(new HashIndex(dir).hash('f.txt')).toBe(sha('aaaa'));
    age(f, 30);
    expect(new HashIndex(dir).hash('f.txt')).toBe(sha('bbbb'));
  });

  it('does not index files modified in the last seconds (their next change may keep the mtime)', () => {
    const dir = tempProject({ 'f.txt': 'aaaa' });
    const idx = new HashIndex(dir);
    idx.hash('f.txt');
    idx.save();
    expect(existsSync(path.join(dir, '.mlc/stat-index.json'))).toBe(false);
  });
});

describe('code identity', () => {
  const files = {
    'stage.ts':
      "import { helper } from './lib/helper.ts';\nexport default async () => (await import('./lib/lazy.ts')).x + helper;\n",
    'lib/helper.ts': "import { parse } from 'yaml';\nexport const helper = String(parse('1'));\n",
    'lib/lazy.ts': 'export const x = 1;\n',
    'lib/unrelated.ts': 'export const y = 2;\n',
  };

  it('follows static and dynamic imports and names the packages used', async () => {
    const dir = tempProject(files);
    const closure = [...(await importClosure(path.join(dir, 'stage.ts')))].map((f) =>
      f.startsWith(dir) ? path.relative(dir, f) : f.replace(/.*node_modules\//, 'node_modules/'),
    );
    expect(closure.sort()).toEqual(['lib/helper.ts', 'lib/lazy.ts', 'stage.ts'].sort());
    // packages resolve from node_modules above the module; the temp dir has none
    const inRepo = [...(await importClosure(path.resolve('src/pipeline/source.ts')))].map((f) =>
      path.relative(process.cwd(), f),
    );
    expect(inRepo.sort()).toEqual([
      'node_modules/js-yaml/package.json',
      'node_modules/yaml/package.json',
      'src/errors.ts',
      'src/pipeline/diagnostics.ts',
      'src/pipeline/fast-parse.ts',
      'src/pipeline/source.ts',
    ]); // type-only imports (yaml's Document, Node) are not code
  });

  it('changes when an imported file changes, not when an unrelated one does, and includes the version', async () => {
    const dir = tempProject(files);
    const stage = path.join(dir, 'stage.ts');
    const id = () => new CodeIdentity(path.join(dir, '.mlc'));
    const c = id();
    const h1 = await c.moduleHash(stage, '1');
    c.save();
    expect(await id().moduleHash(stage, '2')).not.toBe(h1);
    writeFileSync(path.join(dir, 'lib/unrelated.ts'), 'export const y = 3;\n');
    expect(await id().moduleHash(stage, '1')).toBe(h1);
    writeFileSync(path.join(dir, 'lib/lazy.ts'), 'export const x = 2;\n');
    const h2 = await id().moduleHash(stage, '1');
    expect(h2).not.toBe(h1);
  });
});

describe('code identity when imports cannot be followed', () => {
  it('falls back to the module alone and says why', async () => {
    const dir = tempProject({ 'stage.ts': "export default async () => import('./missing.ts');\n" });
    const warnings: string[] = [];
    const files = await importClosure(path.join(dir, 'stage.ts'), (m) => warnings.push(m));
    expect([...files]).toEqual([path.join(dir, 'stage.ts')]);
    expect(warnings).toEqual([
      `code identity of ${path.join(dir, 'stage.ts')} covers only that file: cannot follow its imports: Could not resolve "./missing.ts" (stage.ts:1)`,
    ]);
  });
});

describe('code identity of the built-in stages', () => {
  it('train depends on the loss functions, generate-txt does not', async () => {
    const closure = async (name: string) =>
      [...(await importClosure(path.resolve('stages', `${name}.ts`)))].map((f) => path.relative(process.cwd(), f));
    const train = await closure('train');
    expect(train).toContain('stages/train.ts');
    expect(train.some((f) => f.startsWith('src/train/losses/'))).toBe(true);
    expect(train).toContain('node_modules/@tensorflow/tfjs-core/package.json');
    expect(train).toContain('node_modules/@tensorflow/tfjs-layers/package.json');
    const gen = await closure('generate-txt');
    expect(gen).toContain('stages/generate-txt.ts');
    expect(gen.some((f) => f.startsWith('src/train/'))).toBe(false);
  });
});

describe('RunCache', () => {
  it('stores file and folder outputs by content and restores them after deletion', () => {
    const dir = tempProject({ 'out/m/w.bin': 'weights', 'out/m/sub/c.json': '{}', 'out/r.txt': 'report' });
    const idx = new HashIndex(dir);
    const cache = new RunCache(dir);
    const key = runCacheKey('code', { a: 1 }, { 'in.txt': 'h' });
    expect(cache.has(key)).toBe(false);
    const outputs = { 'out/m': idx.hash('out/m')!, 'out/r.txt': idx.hash('out/r.txt')! };
    cache.save(key, { outputs, metrics: { acc: 0.5 } }, idx);
    expect(cache.has(key)).toBe(true);
    expect(readFileSync(path.join(dir, '.mlc/cache', sha('report').slice(0, 2), sha('report').slice(2)), 'utf8')).toBe(
      'report',
    );
    rmSync(path.join(dir, 'out'), { recursive: true });
    const rec = cache.restore(key);
    expect(rec.status === 'restored' && rec.record.metrics).toEqual({ acc: 0.5 });
    expect(readFileSync(path.join(dir, 'out/m/sub/c.json'), 'utf8')).toBe('{}');
    expect(readFileSync(path.join(dir, 'out/r.txt'), 'utf8')).toBe('report');
    expect(new HashIndex(dir).hash('out/m')).toBe(outputs['out/m']);
    expect(runCacheKey('code', { a: 1 }, { 'in.txt': 'h' })).toBe(key);
    expect(runCacheKey('code', { a: 2 }, { 'in.txt': 'h' })).not.toBe(key);
  });
});
