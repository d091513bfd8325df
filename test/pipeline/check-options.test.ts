/**
 * checkOptions: an entry point's options outside a pipeline (a command's flags) get the schema's
 * defaults and are checked by the loader's validator, every problem in one ConfigError naming the
 * flag, the value received and a did-you-mean: the words the loader uses at file:line:col.
 */
import { describe, expect, it } from 'vitest';
import { checkOptions } from '../../src/pipeline/check-options.ts';
import { ConfigError } from '../../src/errors.ts';
import { evaluateOptionsSchema } from '../../src/report/evaluate-options.ts';
import { loadPipeline } from '../../src/pipeline/load.ts';
import { builtinStages } from '../../stages/registry.ts';
import { tempProject } from '../runner/project.ts';
import path from 'node:path';

const how = { reference: '`mlc-pipe stages evaluate`' };

describe('checkOptions', () => {
  it('fills the defaults and keeps given values, an explicit 0 included; leaves undefined out', () => {
    const o = checkOptions(
      evaluateOptionsSchema,
      { model: 'models/a', labels: 'data/x.txt', threads: 0, worst: 0, root: undefined },
      how,
    );
    expect(o).toMatchObject({
      model: 'models/a',
      labels: 'data/x.txt',
      threads: 0,
      worst: 0,
      batch_size: 32,
      engine: 'auto',
      out: 'reports/run',
      tfrecords: [],
    });
    expect('root' in o && o.root !== '').toBe(false);
  });

  it('lists every problem at once: a choice typo, a value out of range, a wrong type, an unknown key', () => {
    let err: unknown;
    try {
      checkOptions(
        evaluateOptionsSchema,
        { model: 'm', engine: 'wsam', batch_size: 0, top_k: 'three', modle: 'x' },
        how,
      );
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      'modle: unknown option; batch_size: must be >= 1, received 0; engine: expected one of "auto", "native", "tensorflow", "webgpu", "wasm", "cpu", received "wsam"; top_k: expected integer, received "three"',
    );
    expect((err as ConfigError).hint).toBe('did you mean "model"?; did you mean "wasm"?');
  });

  it('names options as the caller labels them (CLI flags), and points at the reference when nothing is close', () => {
    const schema = {
      type: 'object',
      properties: { batch_size: { type: 'integer', minimum: 1 } },
      required: ['batch_size'],
    } as never;
    expect(() =>
      checkOptions(schema, {}, { reference: '`mlc-pipe stages x`', label: (k: string) => `--${k.replace(/_/g, '-')}` }),
    ).toThrow(
      expect.objectContaining({ message: '--batch-size: required', hint: '`mlc-pipe stages x` lists the options' }),
    );
  });

  it('says what the pipeline loader says about the same value, by flag instead of file:line:col', async () => {
    const dir = tempProject({
      'pipeline.yaml':
        'stages:\n  ev:\n    uses: evaluate\n    with:\n      model: m\n      labels: l.txt\n      engine: wsam\n',
    });
    const loaded = await loadPipeline(path.join(dir, 'pipeline.yaml'), { stages: builtinStages }).then(
      () => '',
      (e: Error) => e.message,
    );
    expect(loaded).toContain(
      'stages.ev.with.engine: expected one of "auto", "native", "tensorflow", "webgpu", "wasm", "cpu", received "wsam"',
    );
    expect(() =>
      checkOptions(
        evaluateOptionsSchema,
        { model: 'm', labels: 'l.txt', engine: 'wsam' },
        { ...how, label: (k) => `--${k}` },
      ),
    ).toThrow('--engine: expected one of "auto", "native", "tensorflow", "webgpu", "wasm", "cpu", received "wsam"');
  });
});
