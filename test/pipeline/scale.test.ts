/**
 * Big pipelines: duplicate keys are found in one linear pass (the YAML library's own check is
 * quadratic: a 5 MB file with 56k vars took 31.7 s to validate), still reported at their position.
 */
import { writeFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { codeFrame, PipelineValidationError } from '../../src/pipeline/diagnostics.ts';
import { loadPipeline } from '../../src/pipeline/load.ts';
import { tempProject } from '../runner/project.ts';
import { bigPipeline } from './big-pipeline.ts';

describe('big pipelines', () => {
  it(
    'a 5 MB pipeline with 56k vars validates (the linear duplicate-key pass; this timed out at 30 s before)',
    { timeout: 30_000 },
    async () => {
      const text = bigPipeline(56_000);
      expect(text.length).toBeGreaterThan(5_000_000);
      const dir = tempProject({ 'p.yaml': text });
      const p = await loadPipeline(path.join(dir, 'p.yaml'));
      expect(p.stages.map((s) => s.id)).toHaveLength(20);
      const s3 = p.stages.find((s) => s.id === 's3')!;
      expect(s3.kind === 'cmd' && s3.cmd).toBe(`echo 'value 3000 ${'x'.repeat(66)}' > o3.txt`);
    },
  );

  it('duplicate keys, anywhere in a big file, are errors at their line and column naming the first one', async () => {
    const text =
      bigPipeline(20_000).replace('vars:\n', 'vars:\n  v19999: early\n') + '  s5: { cmd: "true", outs: [x.txt] }\n';
    const dir = tempProject({ 'p.yaml': text });
    const file = path.join(dir, 'p.yaml');
    writeFileSync(file, text);
    const err = (await loadPipeline(file).catch((e: unknown) => e)) as PipelineValidationError;
    expect(err).toBeInstanceOf(PipelineValidationError);
    expect(err.diagnostics.map((d) => `${d.line}:${d.col} ${d.message}`)).toEqual([
      '20002:3 YAML syntax: Map keys must be unique: "v19999" is already defined at line 2:3',
      '20024:3 YAML syntax: Map keys must be unique: "s5" is already defined at line 20009:3',
    ]);
  });

  it(
    '20 000 duplicate keys are all reported, each with its code frame (the frames split the file once: it was once per problem, minutes here)',
    { timeout: 30_000 },
    async () => {
      const lines = [
        'vars:',
        ...Array.from({ length: 40_000 }, (_, i) => `  v${i % 20_000}: x`),
        'stages:',
        '  a: { cmd: "echo > o.txt", outs: [o.txt] }',
      ];
      const dir = tempProject({ 'p.yaml': `${lines.join('\n')}\n` });
      const err = (await loadPipeline(path.join(dir, 'p.yaml')).catch((e: unknown) => e)) as PipelineValidationError;
      expect(err).toBeInstanceOf(PipelineValidationError);
      expect(err.diagnostics).toHaveLength(20_000);
      expect(err.diagnostics[19_999]).toMatchObject({
        line: 40_001,
        col: 3,
        message: 'YAML syntax: Map keys must be unique: "v19999" is already defined at line 20001:3',
      });
      expect(err.message).toContain('> 40001 |   v19999: x\n        |   ^');
      expect(err.message.endsWith('20000 problems in the pipeline; fix them and run again.')).toBe(true);
    },
  );

  it('a code frame shows a window of a very long line around the column, the caret under it', () => {
    const line = `a: ${'x'.repeat(500)}Y${'z'.repeat(500)}`;
    const frame = codeFrame(`first\n${line}\nlast`, 2, 504);
    expect(frame).toBe(
      ['  1 | first', `> 2 | …${'x'.repeat(80)}Y${'z'.repeat(79)}…`, `    | ${' '.repeat(81)}^`, '  3 | last'].join(
        '\n',
      ),
    );
  });
});
