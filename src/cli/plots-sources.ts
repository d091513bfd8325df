/**
 * Where `mlc-pipe plots` finds each run's files: every stage instance's output folders holding a
 * `history.jsonl` (train) or `metrics.json`/`curves.json` (evaluate), read from the working folder;
 * at a git revision (`git show <rev>:<path>`, or, since outputs are usually git-ignored, the
 * outputs the revision's lock file names, read from the run-cache store); and the earlier runs
 * still in the run-cache (as `exp show --all` lists them).
 */
import { existsSync, readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import { parse as parseYaml } from 'yaml';
import { ConfigError } from '../errors.ts';
import type { LockFile } from '../runner/lock/lock-file.ts';
import { parseManifest } from '../runner/store/layout.ts';
import type { Workspace } from '../runner/workspace.ts';
import type { PlotSource } from '../../stages/entry-points.ts';

/** One run's plot files as src/report/plots.ts reads them (its type, through the entry-point registry). */
export type { PlotSource };

const FILES = { history: 'history.jsonl', metrics: 'metrics.json', curves: 'curves.json' } as const;
type Key = keyof typeof FILES;

function fill(base: Omit<PlotSource, Key>, read: (file: string) => string | undefined): PlotSource | undefined {
  const s: PlotSource = { ...base };
  for (const [k, f] of Object.entries(FILES) as Array<[Key, string]>) {
    const t = read(f);
    if (t !== undefined) s[k] = t;
  }
  return s.history !== undefined || s.metrics !== undefined ? s : undefined;
}

function readIf(file: string): string | undefined {
  return existsSync(file) ? readFileSync(file, 'utf8') : undefined;
}

/** The runs in the working folder: one per stage output folder with plot files. */
export function workspaceSources(ws: Workspace): PlotSource[] {
  const out: PlotSource[] = [];
  for (const node of ws.pipeline.stages) {
    for (const o of node.outputs) {
      const s = fill({ name: node.id, stage: node.id, from: 'workspace', where: o }, (f) =>
        readIf(path.join(ws.pipeline.dir, o, f)),
      );
      if (s) out.push(s);
    }
  }
  return out;
}

/** The text of file `rel` (inside output folder content `hash`) in the run-cache store; undefined when not stored. */
function fromStore(ws: Workspace, hash: string | undefined, rel: string): string | undefined {
  if (!hash) return undefined;
  const manifestFile = ws.runCache.objectPath(hash, '.dir');
  if (!existsSync(manifestFile)) return undefined;
  const entry = parseManifest(readFileSync(manifestFile, 'utf8'))?.find((e) => e.rel === rel);
  return entry ? readIf(ws.runCache.objectPath(entry.hash)) : undefined;
}

async function gitShow(cwd: string, spec: string): Promise<string | undefined> {
  const r = await execa('git', ['show', spec], { cwd, reject: false, stripFinalNewline: false });
  return r.exitCode === 0 ? r.stdout : undefined;
}

/**
 * The runs at git revision `rev`: each stage output's files as committed, else the output folder
 * the revision's lock file records, from the run-cache. ConfigError (exit 2) for an unknown revision.
 */
export async function revisionSources(ws: Workspace, rev: string): Promise<PlotSource[]> {
  const cwd = ws.pipeline.dir;
  const ok = await execa('git', ['rev-parse', '--verify', '--quiet', `${rev}^{commit}`], { cwd, reject: false });
  if (ok.exitCode !== 0)
    throw new ConfigError(`plots diff: \`${rev}\` is not a git revision of ${cwd}`, {
      hint: 'pass revisions such as HEAD~1, a branch, a tag or a commit hash',
    });
  const lockRel = path.relative(cwd, ws.lockFile).split(path.sep).join('/');
  const lockText = await gitShow(cwd, `${rev}:./${lockRel}`);
  let lock: LockFile | undefined;
  try {
    lock = lockText === undefined ? undefined : (parseYaml(lockText) as LockFile);
  } catch {
    lock = undefined;
  }
  // the revision's stages: those its lock file records (their output folders in the run-cache), then the current pipeline's
  const pairs: Array<[string, string]> = [];
  for (const [id, e] of Object.entries(lock?.stages ?? {}))
    for (const o of Object.keys(e.outputs ?? {})) pairs.push([id, o]);
  for (const node of ws.pipeline.stages)
    for (const o of node.outputs) if (!pairs.some(([i, p]) => i === node.id && p === o)) pairs.push([node.id, o]);
  const out: PlotSource[] = [];
  for (const [id, o] of pairs) {
    const texts = new Map<string, string | undefined>();
    for (const f of Object.values(FILES)) texts.set(f, await gitShow(cwd, `${rev}:./${o}/${f}`));
    const committed = [...texts.values()].some((t) => t !== undefined);
    const hash = lock?.stages?.[id]?.outputs?.[o];
    const s = fill({ name: `${rev}:${id}`, stage: id, from: rev, where: `${rev}:${o}` }, (f) =>
      committed ? texts.get(f) : fromStore(ws, hash, f),
    );
    if (s) out.push(s);
  }
  return out;
}

/**
 * Earlier runs of this pipeline's stage templates in the run-cache (instances no longer in the
 * pipeline included, as `exp show --all` lists them), except the workspace's current outputs; oldest first.
 */
export function runCacheSources(ws: Workspace): PlotSource[] {
  const current = new Set(Object.values(ws.lock.stages).flatMap((e) => Object.values(e.outputs ?? {})));
  const templates = new Set(ws.pipeline.stages.map((n) => n.template));
  const out: PlotSource[] = [];
  const records = ws.runCache
    .records()
    .filter(({ record: r }) => r.stage && r.pipeline === ws.pipeline.name && templates.has(r.template ?? r.stage))
    .sort((a, b) => (a.record.at ?? '').localeCompare(b.record.at ?? ''));
  for (const { record: r } of records) {
    for (const [o, hash] of Object.entries(r.outputs)) {
      if (current.has(hash)) continue;
      const s = fill(
        { name: `run-cache ${r.at ?? '?'}:${r.stage}`, stage: r.stage!, from: 'run-cache', where: `run-cache:${o}` },
        (f) => fromStore(ws, hash, f),
      );
      if (s) out.push(s);
    }
  }
  return out;
}
