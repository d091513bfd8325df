/**
 * Where a report's numbers come from, for its header: a content hash of the evaluated data and
 * the code version (package version plus the git commit when the package is a checkout).
 */
import { createHash } from 'node:crypto';
import { createReadStream } from 'node:fs';
import { readFile, readdir, stat } from 'node:fs/promises';
import { join, resolve } from 'node:path';

/**
 * sha256 over the given files in order, each as its path (as given) and its bytes, so renaming
 * or editing any of them changes the hash. Missing files count as their path alone.
 */
export async function filesHash(files: string[]): Promise<string> {
  const h = createHash('sha256');
  for (const f of files) {
    h.update(`${f}\0`);
    try {
      for await (const chunk of createReadStream(f)) h.update(chunk as Buffer);
    } catch {
      h.update('\0missing\0');
    }
  }
  return h.digest('hex');
}

/** `paths` with every folder replaced by the files under it (recursively, sorted); files stay as given. */
export async function expandFiles(paths: string[]): Promise<string[]> {
  const out: string[] = [];
  for (const p of paths) {
    const st = await stat(p).catch(() => null);
    if (!st?.isDirectory()) {
      out.push(p);
      continue;
    }
    const entries = await readdir(p, { recursive: true, withFileTypes: true });
    out.push(
      ...entries
        .filter((e) => e.isFile())
        .map((e) => join(e.parentPath, e.name))
        .sort(),
    );
  }
  return out;
}

/**
 * sha256 (16 hex digits) of a model folder's weights as a model: model.json and every weight file
 * it names, by name relative to the folder, so a copy of the folder elsewhere hashes the same and
 * any change to the topology or a weight changes it.
 */
export async function modelFilesHash(dir: string): Promise<string> {
  const json = JSON.parse(await readFile(join(dir, 'model.json'), 'utf8')) as {
    weightsManifest?: Array<{ paths: string[] }>;
  };
  const h = createHash('sha256');
  for (const name of ['model.json', ...(json.weightsManifest ?? []).flatMap((g) => g.paths)]) {
    h.update(`${name}\0`);
    h.update(await readFile(join(dir, name)));
  }
  return h.digest('hex').slice(0, 16);
}

/** The commit `HEAD` points at in the git checkout `dir` (a worktree's `.git` file followed), or undefined. */
export async function gitCommit(dir: string): Promise<string | undefined> {
  try {
    let gitDir = join(dir, '.git');
    if ((await stat(gitDir)).isFile())
      gitDir = resolve(dir, (await readFile(gitDir, 'utf8')).replace(/^gitdir:\s*/, '').trim());
    const head = (await readFile(join(gitDir, 'HEAD'), 'utf8')).trim();
    if (!head.startsWith('ref: ')) return head;
    const ref = head.slice(5);
    const common = await readFile(join(gitDir, 'commondir'), 'utf8').then(
      (c) => resolve(gitDir, c.trim()),
      () => gitDir,
    );
    for (const d of [gitDir, common]) {
      const sha = await readFile(join(d, ref), 'utf8').catch(() => undefined);
      if (sha) return sha.trim();
      const packed = await readFile(join(d, 'packed-refs'), 'utf8').catch(() => '');
      const line = packed.split('\n').find((l) => l.endsWith(` ${ref}`));
      if (line) return line.split(' ')[0];
    }
  } catch {
    // not a git checkout
  }
  return undefined;
}

/** `mlc-pipe <version>` plus ` (git <12 hex>)` when `packageRoot` is a git checkout. */
export async function codeVersion(packageRoot: string): Promise<string> {
  let version = '?';
  try {
    version =
      (JSON.parse(await readFile(join(packageRoot, 'package.json'), 'utf8')) as { version?: string }).version ?? '?';
  } catch {
    // keep '?'
  }
  const commit = await gitCommit(packageRoot);
  return `mlc-pipe ${version}${commit ? ` (git ${commit.slice(0, 12)})` : ''}`;
}
