/**
 * Every hashed output is a function of its stage's inputs, params and code: a forced rerun of a
 * stage writes the same bytes, so nothing downstream of it turns stale (no timestamps, host names
 * or timings in model folders, reports, TensorBoard files, prune.json or exports; when a stage ran
 * is in the lock file's `at` and the stage log, which are not hashed).
 *
 * Each shipped pipeline runs once, shrunk by -S (tiny images, 1 epoch, `threads: 1` for train as
 * conventions.md asks: multi-threaded libtorch reductions are not bitwise reproducible), then
 * `run --force` reruns every stage and every stage's output hashes must equal the first run's. That
 * is forcing each stage in turn, at the cost of one run: a stage forced alone sees the inputs it saw
 * in the forced run of all of them (its upstream wrote the same bytes), so it writes the same bytes
 * again. The README's own example (`run --stage evaluate --force`, then `status`) is run literally.
 *
 * Cost: quickstart runs whole (it has every built-in stage: make-dataset, check-labels,
 * write-tfrecord, train, evaluate, prune, train with init_from, evaluate with compare_to, convert).
 * resnext_ghm runs up to its evaluate only: what it adds is generate-txt, foreach check-labels and a
 * train with augmentation, whitening, GHM-C and RAdam; its prune/fine-tune/convert are the stages
 * quickstart already forces (2 runs of ~20 stage processes is what CI can afford here).
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import YAML from 'yaml';
import { cli, REPO } from './project.ts';

const PIPELINES = readdirSync(path.join(REPO, 'pipelines'))
  .filter((f) => f.endsWith('.yaml'))
  .sort();
/** `--stage` targets per pipeline (none: all of it); see the header for why. */
const TARGETS: Record<string, string[]> = { 'resnext_ghm.yaml': ['evaluate'] };

/** -S overrides that shrink a shipped pipeline to seconds a stage. */
function shrink(file: string): string[] {
  const doc = YAML.parse(readFileSync(file, 'utf8')) as {
    stages: Record<string, { uses?: string; with?: Record<string, unknown> }>;
  };
  const out: string[] = [];
  for (const [id, s] of Object.entries(doc.stages)) {
    const set = (k: string, v: unknown) => out.push('-S', `stages.${id}.with.${k}=${JSON.stringify(v)}`);
    if (s.uses === 'make-dataset') set('n', 48);
    if (s.uses === 'check-labels') set('max_reject_rate', 1);
    if (s.uses === 'write-tfrecord') set('shard_size', 16);
    if (s.uses === 'train') {
      for (const [k, v] of Object.entries({ epochs: 1, height: 16, width: 48, batch_size: 8, threads: 1 })) set(k, v);
      if (!s.with?.init_from) set('width_multiplier', 0.0625);
      if (s.with?.lr_steps) set('lr_steps', { '0': 0.01 });
    }
  }
  return out;
}

/** Stage id → its recorded output hashes, from the lock file. */
function outputHashes(lockFile: string): Record<string, Record<string, string>> {
  const lock = YAML.parse(readFileSync(lockFile, 'utf8')) as {
    stages: Record<string, { outputs: Record<string, string> }>;
  };
  return Object.fromEntries(Object.entries(lock.stages).map(([id, e]) => [id, e.outputs]));
}

describe('reproducible outputs', () => {
  it.each(PIPELINES)(
    '%s: a forced rerun of every stage rewrites the same bytes, and nothing turns stale',
    async (name) => {
      const dir = mkdtempSync(path.join(os.tmpdir(), 'mlc-repro-'));
      writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
      mkdirSync(path.join(dir, 'pipelines'));
      cpSync(path.join(REPO, 'pipelines', name), path.join(dir, 'pipelines', name));
      const file = path.join('pipelines', name);
      const lockFile = path.join(dir, 'pipelines', name.replace(/\.yaml$/, '.mlc.lock'));
      const S = shrink(path.join(dir, file));
      const targets = (TARGETS[name] ?? []).flatMap((t) => ['--stage', t]);

      const first = await cli(['run', file, ...S, ...targets], dir);
      expect(first.code, first.stderr + first.stdout).toBe(0);
      const before = outputHashes(lockFile);
      expect(Object.keys(before).length).toBeGreaterThanOrEqual(8);

      // with --stage, --force forces only the targets: name every stage that ran
      const all = targets.length ? Object.keys(before).flatMap((id) => ['--stage', id]) : [];
      const forced = await cli(['run', file, ...S, ...all, '--force'], dir);
      expect(forced.code, forced.stderr).toBe(0);
      expect(forced.ran.sort()).toEqual(Object.keys(before).sort()); // every stage really ran again, none restored
      const after = outputHashes(lockFile);
      const changed = Object.keys(before).filter((id) => JSON.stringify(before[id]) !== JSON.stringify(after[id]));
      expect(changed, 'stages whose outputs a forced rerun changed').toEqual([]);

      // the README's example, literally: force evaluate, and everything stays up to date
      const ev = await cli(['run', file, ...S, '--stage', 'evaluate', '--force'], dir);
      expect(ev.ran).toEqual(['evaluate']);
      const st = await cli(['status', file, ...S, '--json'], dir);
      expect(st.code, st.stderr).toBe(0);
      const stale = (JSON.parse(st.stdout) as Array<{ id: string; action: string }>).filter(
        (s) => s.id in before && s.action !== 'skip',
      );
      expect(stale, 'stale after a forced evaluate').toEqual([]);
    },
    900_000,
  );
});
