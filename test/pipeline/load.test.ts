/**
 * loadPipeline: positions and text of every diagnostic, interpolation, foreach/matrix, -S.
 */
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { PipelineValidationError } from '../../src/pipeline/diagnostics.ts';
import { loadPipeline } from '../../src/index.ts';
import { concatStage, tempProject } from '../runner/project.ts';

const BAD = `name: demo
vars:
  n: 3
stages:
  gen:
    uses: ./s.ts
    with:
      epochs: ten
      epoch: 4
  train:
    uses: tarin
    neds: [gen]
  eval:
    uses: ./s.ts
    needs: [gne, train]
    with: { out: "\${nope}" }
  sh:
    cmd: 3
`;

async function diagnose(yaml: string, overrides: string[] = []): Promise<PipelineValidationError> {
  const dir = tempProject({ 'p.yaml': yaml, 's.ts': concatStage({ name: 's' }) });
  try {
    await loadPipeline(path.join(dir, 'p.yaml'), { overrides });
  } catch (err) {
    if (err instanceof PipelineValidationError) return err;
    throw err;
  }
  throw new Error('expected a PipelineValidationError');
}

describe('loadPipeline diagnostics', () => {
  it('reports every problem at once with file:line:col, key path, message and hint', async () => {
    const err = await diagnose(BAD);
    const lines = err.diagnostics.map(
      (d) => `${d.line}:${d.col} ${d.path}: ${d.message}${d.hint ? ` [${d.hint}]` : ''}`,
    );
    expect(lines).toEqual(
      [
        '7:5 stages.gen.with: missing required key "out"',
        '8:15 stages.gen.with.epochs: expected integer, received "ten" ',
        '9:7 stages.gen.with.epoch: unknown param "epoch" for stage "s" [did you mean "epochs"?]',
        '11:11 stages.train.uses: unknown stage "tarin" (built-ins: make-dataset, generate-txt, check-labels, write-tfrecord, train, evaluate, prune, convert) [did you mean "train"?]',
        '12:5 stages.train.neds: unknown key "neds" [did you mean "needs"?]',
        '15:13 stages.eval.needs.0: unknown stage "gne" in needs [did you mean "gen"?]',
        '16:18 stages.eval.with.out: unknown variable "${nope}" (known here: n, vars)',
        '18:10 stages.sh.cmd: expected a string or a list of strings, received 3',
      ].map((l) => l.trimEnd()),
    );
  });

  it('formats each problem with a code frame under the exact column', async () => {
    const err = await diagnose(BAD);
    const file = err.diagnostics[0]!.file;
    expect(err.message).toContain(
      `${file}:12:5 stages.train.neds: unknown key "neds"\n` +
        '  11 |     uses: tarin\n' +
        '> 12 |     neds: [gen]\n' +
        '     |     ^\n' +
        '  13 |   eval:\n' +
        '  hint: did you mean "needs"?',
    );
    expect(err.message).toMatch(/8 problems in the pipeline; fix them and run again\.$/);
    expect(err.exitCode).toBe(2);
  });

  it('reports YAML syntax errors with their position', async () => {
    const err = await diagnose('stages:\n  a: { uses: x\n');
    expect(err.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual([
      '3:1 YAML syntax: Flow map in block collection must be sufficiently indented and end with a }',
    ]);
  });

  it('reports an unknown top-level key and a bad -S override', async () => {
    const err = await diagnose('stagse: {}\nstages:\n  a: { uses: ./s.ts, with: { out: a } }\n', [
      'stages.b.with.text=1',
      'nonsense',
    ]);
    const lines = err.diagnostics.map(
      (d) => `${d.file === '-S' ? '-S' : `${d.line}:${d.col}`} ${d.path}: ${d.message}${d.hint ? ` [${d.hint}]` : ''}`,
    );
    expect(lines).toEqual([
      '1:1 stagse: unknown key "stagse" [did you mean "stages"?]',
      '-S nonsense: expected key=value, e.g. -S stages.train.with.epochs=3 or -S vars.lr=0.01',
      `-S stages.b.with.text=1: no stage "b" in ${err.diagnostics[0]!.file} [did you mean "a"?]`,
    ]);
  });
});

describe('loadPipeline resolution', () => {
  it('interpolates vars (typed when whole), expands foreach and matrix, applies -S overrides and schema defaults', async () => {
    const dir = tempProject({
      's.ts': concatStage({ name: 's' }),
      'x.txt': 'an input the -S override names',
      'p.yaml': `vars:
  e: 3
  names: { a: x }
stages:
  one:
    uses: ./s.ts
    with: { epochs: "\${e}", out: "out/\${names.a}-\${e}.txt" }
  per:
    foreach: [red, blue]
    uses: ./s.ts
    with: { text: "\${item}", out: "out/\${item}.txt" }
  grid:
    matrix: { m: [a, b], k: [1, 2] }
    uses: ./s.ts
    with: { text: "\${item.m}\${item.k}", out: "grid/\${key}.txt", epochs: "\${item.k}" }
    needs: [per]
  sh:
    foreach: { small: 1, big: 2 }
    cmd: [echo, "\${item}"]
    outs: ["sh/\${key}"]
`,
    });
    const p = await loadPipeline(path.join(dir, 'p.yaml'), {
      overrides: ['vars.e=5', 'stages.per@blue.with.text=BLUE', 'stages.grid.with.inputs=[x.txt]'],
    });
    expect(p.name).toBe('p');
    const byId = new Map(p.stages.map((s) => [s.id, s]));
    expect([...byId.keys()]).toEqual([
      'one',
      'per@red',
      'per@blue',
      'grid@a-1',
      'grid@a-2',
      'grid@b-1',
      'grid@b-2',
      'sh@small',
      'sh@big',
    ]);
    expect(byId.get('one')!.params).toEqual({ epochs: 5, out: 'out/x-5.txt', text: '', inputs: [] });
    expect(byId.get('per@red')!.params.text).toBe('red');
    expect(byId.get('per@blue')!.params.text).toBe('BLUE');
    expect(byId.get('grid@b-2')!.params).toEqual({ text: 'b2', out: 'grid/b-2.txt', epochs: 2, inputs: ['x.txt'] });
    expect(byId.get('grid@b-2')!.inputs).toEqual(['x.txt']);
    expect(byId.get('grid@a-1')!.needs).toEqual(['per@red', 'per@blue']);
    const sh = byId.get('sh@big')!;
    expect(sh.kind === 'cmd' && sh.cmd).toEqual(['echo', '2']);
    expect(sh.outputs).toEqual(['sh/big']);
  });

  it('takes foreach and matrix lists from vars, so -S can change them', async () => {
    const dir = tempProject({
      's.ts': concatStage({ name: 's' }),
      'p.yaml':
        'vars:\n  models: [a, b]\n  ks: [1, 2]\nstages:\n  t:\n    foreach: ${models}\n    uses: ./s.ts\n    with: { out: "${item}.txt" }\n  g:\n    matrix: { k: "${ks}" }\n    uses: ./s.ts\n    with: { out: "g${item.k}.txt" }\n',
    });
    const p = await loadPipeline(path.join(dir, 'p.yaml'), { overrides: ['vars.models=[x, y, z]'] });
    expect(p.stages.map((s) => s.id)).toEqual(['t@x', 't@y', 't@z', 'g@1', 'g@2']);
    const err = await diagnose(
      'vars:\n  m: 3\nstages:\n  t:\n    foreach: ${m}\n    uses: ./s.ts\n    with: { out: a }\n',
    );
    expect(err.diagnostics.map((d) => `${d.line}:${d.col} ${d.path}: ${d.message}`)).toEqual([
      '5:14 stages.t.foreach: foreach takes a list or a map, matrix a map of lists (directly or from ${…})',
    ]);
  });

  it('validates params after -S overrides (reported at the -S argument that set the value, not at a YAML line)', async () => {
    const err = await diagnose('stages:\n  a:\n    uses: ./s.ts\n    with: { out: a.txt }\n', [
      'stages.a.with.epochs=0',
    ]);
    expect(err.diagnostics.map((d) => `${d.file}${d.line ?? ''} ${d.path}: ${d.message}`)).toEqual([
      '-S stages.a.with.epochs=0: must be >= 1, received 0',
    ]);
  });
});
