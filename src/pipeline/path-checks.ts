/**
 * Checks on the paths of the resolved stages: outputs inside the working folder, inputs that exist
 * or that a stage writes, and outputs that no other pipeline file in the folder also declares. Each
 * problem is reported at the YAML entry (or param) that names the path.
 */
import path from 'node:path';
import { didYouMean } from '../suggest.ts';
import type { Diagnostic } from './diagnostics.ts';
import { outputPlace } from './inside-dir.ts';
import type { PendingStage } from './instantiate.ts';
import { unproducedMissingInputs, type StagePaths } from './missing-inputs.ts';
import { sharedOutputs, siblingPipelineFiles } from './output-owners.ts';
import type { YamlSource } from './source.ts';
import { valuePosition } from './stage-paths.ts';
import type { Pipeline, StageNode } from './types.ts';

type Body = Record<string, unknown>;

/**
 * Every output resolves inside the working folder (`..`, absolute paths and symbolic links
 * followed), reported at the `outs` entry or the param that names it.
 */
export function checkOutputs(n: StageNode, dir: string, body: Body, source: YamlSource, diags: Diagnostic[]): void {
  for (const o of n.outputs) {
    const place = outputPlace(dir, o);
    if (place.inside) continue;
    const at = valuePosition(n, body, n.kind === 'cmd' ? 'outs' : undefined, o);
    const why = place.resolved === path.resolve(dir, o) ? '' : ` (it leads to ${place.resolved})`;
    diags.push(
      source.at(at, `output "${o}" of stage "${n.id}" is outside the working folder ${dir}${why}`, {
        key: at.length === 2,
        hint: "outputs must be inside the working folder (wdir, by default the pipeline file's folder), and not the folder itself; write inside it, or replace the symbolic link by a folder (inputs may be read from anywhere)",
      }),
    );
  }
}

/**
 * Inputs that do not exist and that no stage writes (an output, or a path inside an output
 * folder): the run would fail on them. Reported at the param whose value names the input, else
 * at the stage.
 */
export function missingInputs(
  stages: StageNode[],
  dir: string,
  pending: readonly PendingStage[],
  source: YamlSource,
  partial: ReadonlyMap<string, StagePaths>,
): Diagnostic[] {
  const byId = new Map(stages.map((s) => [s.id, s]));
  // In pipeline order (for the hint): resolved stages, and those whose params have problems.
  const all = pending.flatMap((p) => {
    const s =
      byId.get(p.id) ??
      (partial.has(p.id) ? { kind: 'module' as const, template: p.tid, ...partial.get(p.id)! } : undefined);
    return s ? [{ ...s, body: p.body }] : [];
  });
  const outputs = all.flatMap((s) => s.outputs);
  return unproducedMissingInputs(all, dir).map(({ stage: s, input }) => {
    const hint =
      didYouMean(input, outputs) ??
      `create it, fix the path, or add the stage that writes it${outputs.length ? ` (stages write: ${outputs.slice(0, 6).join(', ')}${outputs.length > 6 ? ', …' : ''})` : ''}`;
    return source.at(
      valuePosition(s, s.body, s.kind === 'cmd' ? 'deps' : undefined, input),
      `input "${input}" of stage "${s.template}" does not exist and no stage writes it`,
      { hint },
    );
  });
}

/** Loads a sibling pipeline file for the ownership check (loadPipeline, passed in to keep imports one-way). */
export type SiblingLoader = (file: string) => Promise<Pick<Pipeline, 'dir' | 'stages'>>;

/**
 * Outputs another pipeline file in this folder also declares: refused at this file's outs entry
 * (or param), naming the other file's stage at its line. A sibling that does not load is skipped
 * (its own validation reports it).
 */
export async function ownerDiagnostics(
  file: string,
  dir: string,
  stages: StageNode[],
  pending: readonly PendingStage[],
  source: YamlSource,
  load: SiblingLoader,
): Promise<Diagnostic[]> {
  const others: { file: string; dir: string; stages: StageNode[] }[] = [];
  for (const f of siblingPipelineFiles(file)) {
    try {
      const p = await load(f);
      others.push({ file: path.relative(path.dirname(path.resolve(file)), f), dir: p.dir, stages: p.stages });
    } catch {
      // not a loadable pipeline: nothing to compare
    }
  }
  const bodies = new Map(pending.map((p) => [p.id, p.body]));
  return sharedOutputs(dir, stages, others).map(({ stage, output, other }) => {
    const at = valuePosition(stage, bodies.get(stage.id) ?? {}, stage.kind === 'cmd' ? 'outs' : undefined, output);
    const where = other.stage.pos ? `${other.file}:${other.stage.pos.line}:${other.stage.pos.col}` : other.file;
    return source.at(
      at,
      `output "${output}" of stage "${stage.id}" is also written by stage "${other.stage.id}" of ${where}${other.output === output ? '' : ` (its output "${other.output}")`}`,
      {
        key: at.length === 2,
        hint: "an output has one owner: rename or move one of them, or put both stages in one pipeline file (two pipelines in one folder would overwrite each other's results)",
      },
    );
  });
}
