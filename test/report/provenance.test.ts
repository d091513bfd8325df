import { execFileSync } from 'node:child_process';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { codeVersion, filesHash, gitCommit } from '../../src/report/provenance.ts';

let dir: string;
beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-prov-'));
});
afterAll(() => rm(dir, { recursive: true, force: true }));

describe('report provenance', () => {
  it('the data hash changes with any file content or name', async () => {
    const a = join(dir, 'a.txt');
    const b = join(dir, 'b.jpg');
    await writeFile(a, 'img.jpg 1\n');
    await writeFile(b, 'xx');
    const h1 = await filesHash([a, b]);
    expect(h1).toMatch(/^[0-9a-f]{64}$/);
    expect(await filesHash([a, b])).toBe(h1);
    await writeFile(b, 'xy');
    expect(await filesHash([a, b])).not.toBe(h1);
    expect(await filesHash([b, a])).not.toBe(await filesHash([a, b]));
  });

  it('the code version names the package version and the checkout commit git reports', async () => {
    const root = join(import.meta.dirname, '..', '..');
    let head: string | undefined;
    try {
      head = execFileSync('git', ['rev-parse', 'HEAD'], { cwd: root, encoding: 'utf8' }).trim();
    } catch {
      head = undefined; // not a checkout (a packed copy): no commit to compare
    }
    expect(await gitCommit(root)).toBe(head);
    const { version } = JSON.parse(
      execFileSync('node', ['-p', 'JSON.stringify(require("./package.json"))'], { cwd: root, encoding: 'utf8' }),
    );
    expect(await codeVersion(root)).toBe(`mlc-pipe ${version}${head ? ` (git ${head.slice(0, 12)})` : ''}`);
    expect(await gitCommit(dir)).toBeUndefined();
  });
});
