/**
 * resolveOptions: an entry point's options outside a pipeline get the schema's defaults, and every
 * problem is in one ConfigError with the option, the value received and a did-you-mean.
 */
import { describe, expect, it } from 'vitest';
import { resolveOptions } from '../src/check-options.ts';
import { ConfigError } from '../src/errors.ts';
import { evaluateOptions } from '../src/report/evaluate-options.ts';

describe('resolveOptions', () => {
  it('fills the defaults and keeps given values, an explicit 0 included', () => {
    const o = evaluateOptions({ model: 'models/a', labels: 'data/x.txt', threads: 0, worst: 0 });
    expect(o).toMatchObject({ model: 'models/a', labels: 'data/x.txt', threads: 0, worst: 0, batch_size: 32, engine: 'auto', out: 'reports/run', tfrecords: [] });
  });

  it('lists every problem at once: a choice typo, a value out of range, a wrong type, an unknown key', () => {
    let err: unknown;
    try {
      evaluateOptions({ engine: 'wsam', batch_size: 0, top_k: 'three', modle: 'x' });
    } catch (e) {
      err = e;
    }
    expect(err).toBeInstanceOf(ConfigError);
    expect((err as ConfigError).message).toBe(
      'engine "wsam": expected one of "auto", "native", "tensorflow", "webgpu", "wasm", "cpu"; batch_size 0 (number): expected integer to be greater or equal to 1; top_k "three": expected integer; unknown option modle',
    );
    expect((err as ConfigError).hint).toBe('did you mean "wasm"?; did you mean "model"?');
  });

  it('names options as the caller labels them (CLI flags), and points at the reference when nothing is close', () => {
    const schema = { type: 'object', properties: { batch_size: { type: 'integer', minimum: 1 } }, required: ['batch_size'] } as never;
    expect(() => resolveOptions(schema, {}, { reference: '`mlc-pipe stages x`', label: (k) => `--${k.replace(/_/g, '-')}` })).toThrow(
      expect.objectContaining({ message: '--batch-size: required', hint: '`mlc-pipe stages x` lists the options' }),
    );
  });
});
