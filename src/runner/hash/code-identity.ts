/**
 * Code identity of a stage: a hash of its module and every project source file it imports,
 * statically or with a literal `import('…')`, found with esbuild's metafile. Packages from
 * node_modules count by name and version (their package.json is part of the identity).
 * The import graph is cached in `.mlc/code-index.json` and reused while none of its files changed
 * (inode, mtime, size), so an all-cached run does not bundle anything.
 */
import { readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import { builtinModules } from 'node:module';
import { writeFileAtomic } from '../atomic.ts';
import { sha256 } from './hash-index.ts';

interface CachedGraph {
  /** abs path → [ino, mtimeMs, size] */
  files: Record<string, [number, number, number]>;
  hash: string;
}

const BUILTINS = new Set(builtinModules);

function statKey(abs: string): [number, number, number] | null {
  const st = statSync(abs, { throwIfNoEntry: false });
  return st ? [st.ino, st.mtimeMs, st.size] : null;
}

function packageName(spec: string): string {
  const parts = spec.split('/');
  return spec.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0]!;
}

/** Nearest `node_modules/<pkg>/package.json` above `fromDir`. */
function findPackageJson(pkg: string, fromDir: string): string | undefined {
  let dir = fromDir;
  for (;;) {
    const candidate = path.join(dir, 'node_modules', pkg, 'package.json');
    if (statSync(candidate, { throwIfNoEntry: false })) return candidate;
    const up = path.dirname(dir);
    if (up === dir) return undefined;
    dir = up;
  }
}

export class CodeIdentity {
  private readonly file: string;
  private index: Record<string, CachedGraph>;
  private dirty = false;
  /** Problems found while following imports (the identity then covers fewer files). */
  readonly warnings: string[] = [];

  /** @param stateDir the `.mlc` folder; the cache is `code-index.json` in it. */
  constructor(stateDir: string) {
    this.file = path.join(stateDir, 'code-index.json');
    try {
      this.index = JSON.parse(readFileSync(this.file, 'utf8')) as Record<string, CachedGraph>;
    } catch {
      this.index = {};
    }
  }

  /** Whether the cached import closure of `abs` exists and none of its files changed (by stat). */
  isFresh(abs: string): boolean {
    const cached = this.index[abs];
    return (
      cached !== undefined &&
      Object.entries(cached.files).every(([f, k]) => {
        const now = statKey(f);
        return now !== null && now[0] === k[0] && now[1] === k[1] && now[2] === k[2];
      })
    );
  }

  /** Code hash of the stage module at `abs` with its `version`. */
  async moduleHash(abs: string, version: string): Promise<string> {
    const cached = this.index[abs];
    if (cached && this.isFresh(abs)) return sha256(`${version}\0${cached.hash}`);
    const files = await importClosure(abs, (m) => this.warnings.push(m));
    const base = path.dirname(abs);
    const parts: string[] = [];
    const stats: Record<string, [number, number, number]> = {};
    for (const f of [...files].sort()) {
      const k = statKey(f);
      if (!k) continue;
      stats[f] = k;
      parts.push(`${path.relative(base, f)}\0${sha256(readFileSync(f))}\n`);
    }
    const hash = sha256(parts.join(''));
    this.index[abs] = { files: stats, hash };
    this.dirty = true;
    return sha256(`${version}\0${hash}`);
  }

  /** The files of the import closure behind the last `moduleHash(abs)` (absolute paths). */
  closureFiles(abs: string): string[] {
    return Object.keys(this.index[abs]?.files ?? {}).sort();
  }

  /** Writes the cache when it changed. */
  save(): void {
    if (!this.dirty) return;
    writeFileAtomic(this.file, JSON.stringify(this.index));
    this.dirty = false;
  }
}

/**
 * The project files `entry` imports transitively (including itself) plus the package.json of
 * each package it imports. If esbuild cannot follow the imports, falls back to the entry alone.
 */
export async function importClosure(entry: string, warn: (message: string) => void = () => {}): Promise<Set<string>> {
  const esbuild = await import('esbuild');
  const files = new Set<string>([entry]);
  let result;
  try {
    result = await esbuild.build({
      entryPoints: [entry],
      bundle: true,
      write: false,
      metafile: true,
      platform: 'node',
      format: 'esm',
      packages: 'external',
      logLevel: 'silent',
      absWorkingDir: path.dirname(entry),
      outdir: path.join(path.dirname(entry), '.mlc-esbuild-out'),
    });
  } catch (err) {
    const first = (err as { errors?: { text: string; location?: { file: string; line: number } | null }[] })
      .errors?.[0];
    const where = first?.location ? ` (${first.location.file}:${first.location.line})` : '';
    warn(
      `code identity of ${entry} covers only that file: cannot follow its imports: ${first?.text ?? (err as Error).message}${where}`,
    );
    return files;
  }
  const wd = path.dirname(entry);
  for (const [rel, input] of Object.entries(result.metafile.inputs)) {
    const abs = path.resolve(wd, rel);
    files.add(abs);
    for (const imp of input.imports) {
      if (!imp.external) continue;
      const spec = imp.path.replace(/^node:/, '');
      if (BUILTINS.has(spec) || BUILTINS.has(spec.split('/')[0]!)) continue;
      if (spec.startsWith('.') || path.isAbsolute(spec)) continue;
      const pj = findPackageJson(packageName(spec), path.dirname(abs));
      if (pj) files.add(pj);
    }
  }
  return files;
}
