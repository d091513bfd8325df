/**
 * The Store side of RunCache that workers and push/pull use: content fetched by hash (files and
 * folders) is hash-checked, a corrupt object is removed and never handed out, and copying runs
 * between stores moves a record only with all of its objects.
 */
import { createHash } from 'node:crypto';
import { existsSync, mkdirSync, mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { HashIndex, listingHash } from '../../src/runner/hash/hash-index.ts';
import { RunCache } from '../../src/runner/store/run-cache.ts';
import { StoreIntegrityError } from '../../src/runner/store/store.ts';
import { copyRuns } from '../../src/runner/store/transfer.ts';

const sha = (s: string) => createHash('sha256').update(s).digest('hex');

/** A working folder with `out/f.txt` and a folder `out/d` (two files), stored in a RunCache at `<dir>/store`. */
function stored(): { root: string; cache: RunCache; file: string; folder: string } {
  const root = mkdtempSync(path.join(os.tmpdir(), 'mlc-store-'));
  mkdirSync(path.join(root, 'out/d/sub'), { recursive: true });
  writeFileSync(path.join(root, 'out/f.txt'), 'file');
  writeFileSync(path.join(root, 'out/d/a'), 'a');
  writeFileSync(path.join(root, 'out/d/sub/b'), 'b');
  const file = sha('file');
  const folder = listingHash([
    { rel: 'a', hash: sha('a') },
    { rel: 'sub/b', hash: sha('b') },
  ]);
  const cache = new RunCache(root, path.join(root, 'store'));
  cache.store({ 'out/f.txt': file, 'out/d': folder }, new HashIndex(root, path.join(root, 'index.json')));
  cache.record('k1', { outputs: { 'out/f.txt': file, 'out/d': folder }, metrics: { acc: 0.5 } });
  return { root, cache, file, folder };
}

describe('store', () => {
  it('fetches a file and a folder by hash; reports what it has', () => {
    const { root, cache, file, folder } = stored();
    expect(cache.hasObject(file)).toBe(true);
    expect(cache.hasObject(folder)).toBe(true);
    expect(cache.hasObject(sha('nope'))).toBe(false);
    cache.fetchObject(folder, path.join(root, 'copy/d'));
    expect(readFileSync(path.join(root, 'copy/d/sub/b'), 'utf8')).toBe('b');
    expect(readdirSync(path.join(root, 'copy/d')).sort()).toEqual(['a', 'sub']);
    expect(() => cache.fetchObject(sha('nope'), path.join(root, 'x'))).toThrow(/is not in the store/);
  });

  it('a corrupt object is removed on the way out and never reaches the destination', () => {
    const { root, cache, file, folder } = stored();
    writeFileSync(cache.objectPath(sha('b')), 'B');
    expect(() => cache.fetchObject(folder, path.join(root, 'copy/d'))).toThrow(StoreIntegrityError);
    expect(existsSync(path.join(root, 'copy/d'))).toBe(false);
    expect(existsSync(cache.objectPath(sha('b')))).toBe(false);
    expect(cache.hasObject(folder)).toBe(false); // a file it lists is gone
    expect(cache.hasObject(file)).toBe(true);
    expect(readdirSync(path.join(root, 'copy')).filter((n) => n.endsWith('.tmp'))).toEqual([]);
  });

  it('copyRuns moves a record with all its objects, counts what the other side had, and skips incomplete runs', () => {
    const { root, cache, file } = stored();
    const remote = new RunCache(root, path.join(root, 'remote'));
    cache.record('k2', { outputs: { 'out/g.txt': sha('never stored') } });
    const first = copyRuns(cache, remote, ['k1', 'k2', 'k3']);
    expect(first).toEqual({ runs: 1, present: 0, missing: ['k2', 'k3'], objects: 4, corrupt: [] }); // f.txt, a, b and d's manifest
    expect(remote.getRecord('k1')).toEqual({ outputs: cache.getRecord('k1')!.outputs, metrics: { acc: 0.5 } });
    expect(readFileSync(remote.objectPath(file), 'utf8')).toBe('file');
    expect(copyRuns(cache, remote, ['k1'])).toEqual({ runs: 0, present: 1, missing: [], objects: 0, corrupt: [] });
    expect(remote.runKeys()).toEqual(['k1']);
  });
});
