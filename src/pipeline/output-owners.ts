/**
 * One owner per output: two pipeline files in one folder that declare the same output (or one
 * inside another's output folder) would overwrite each other's results, and each lock would then
 * say "up to date" about content the other wrote. Like DVC across its dvc.yaml files, loading a
 * pipeline refuses an output another pipeline file beside it also declares, naming both places.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import path from 'node:path';
import type { StageNode } from './types.ts';

/** The other pipeline files in the folder of `file`: `*.yaml`/`*.yml` with a top-level `stages:` key. */
export function siblingPipelineFiles(file: string): string[] {
  const dir = path.dirname(path.resolve(file));
  const self = path.resolve(file);
  let names: string[];
  try {
    names = readdirSync(dir);
  } catch {
    return [];
  }
  return names
    .filter((n) => /\.ya?ml$/.test(n))
    .map((n) => path.join(dir, n))
    .filter((f) => {
      if (f === self) return false;
      try {
        return statSync(f).isFile() && /^stages:/m.test(readFileSync(f, 'utf8'));
      } catch {
        return false;
      }
    })
    .sort();
}

/** Name, size and mtime of each sibling pipeline file: part of the resolved-pipeline cache key. */
export function siblingStamp(file: string): string[] {
  return siblingPipelineFiles(file).map((f) => {
    const st = statSync(f);
    return `${path.basename(f)}:${st.size}:${st.mtimeMs}`;
  });
}

/** Whether absolute paths `a` and `b` are the same, or one lies inside the other. */
export function overlaps(a: string, b: string): boolean {
  return a === b || a.startsWith(`${b}${path.sep}`) || b.startsWith(`${a}${path.sep}`);
}

/** An output of `stages` (in working folder `dir`) that a stage of another pipeline also writes. */
export interface SharedOutput {
  stage: StageNode;
  output: string;
  other: { file: string; stage: StageNode; output: string };
}

/** Each output of `stages` that overlaps an output of a stage in `others` (absolute working folders given). */
export function sharedOutputs(
  dir: string,
  stages: readonly StageNode[],
  others: readonly { file: string; dir: string; stages: readonly StageNode[] }[],
): SharedOutput[] {
  const theirs = others.flatMap((o) =>
    o.stages.flatMap((s) =>
      s.outputs.map((out) => ({ file: o.file, stage: s, output: out, abs: path.resolve(o.dir, out) })),
    ),
  );
  const found: SharedOutput[] = [];
  for (const s of stages) {
    for (const out of s.outputs) {
      const abs = path.resolve(dir, out);
      const t = theirs.find((x) => overlaps(abs, x.abs));
      if (t) found.push({ stage: s, output: out, other: { file: t.file, stage: t.stage, output: t.output } });
    }
  }
  return found;
}
