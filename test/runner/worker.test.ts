/**
 * The stage worker exits cleanly after `run`: when the stage loaded TensorFlow.js, the engine is
 * shut down (shutdownEngine drops the WebGPU backend) before the process exits.
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { cli, REPO, STAGE_API, tempProject } from './project.ts';

/**
 * Loads the engine, registers a stand-in "webgpu" backend (a cpu backend under that name), keeps a timer alive
 * and records at process exit whether "webgpu" is still registered.
 */
const ENGINE_STAGE = `import { writeFileSync } from 'node:fs';
import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
export default defineStage({
  name: 'engine-user', version: '1', description: 'loads tf and leaves it up',
  params: Type.Object({ out: Type.String({ description: 'Output.' }), fail: Type.Boolean({ default: false, description: 'Throw. Defaults to false.' }) }),
  inputs: () => [],
  outputs: (p) => [p.out],
  async run(ctx) {
    const { tf } = await import(${JSON.stringify(path.join(REPO, 'src/engine/tf.ts'))});
    await import(${JSON.stringify(path.join(REPO, 'src/engine/index.ts'))});
    const Cpu = tf.findBackend('cpu').constructor;
    tf.registerBackend('webgpu', () => new Cpu(), -100);
    const registered = () => Object.keys(tf.engine().registryFactory).includes('webgpu');
    process.on('exit', () => writeFileSync(ctx.path('exit-' + ctx.id + '.json'), JSON.stringify({ webgpuAtExit: registered() })));
    setInterval(() => {}, 1000); // an open handle
    writeFileSync(ctx.out(ctx.params.out), String(registered()));
    if (ctx.params.fail) throw new Error('failed after loading the engine');
  },
});
`;

describe('stage worker', () => {
  it('shuts the engine down before exiting, after success and after failure', async () => {
    const dir = tempProject({
      'e.ts': ENGINE_STAGE,
      'p.yaml':
        'stages:\n  ok: { uses: ./e.ts, with: { out: ok.txt } }\n  bad: { uses: ./e.ts, with: { out: bad.txt, fail: true } }\n',
    });
    const r = await cli(['run', 'p.yaml', '--keep-going', '--jobs', '2'], dir);
    expect(r.code).toBe(1);
    expect(r.ran).toEqual(['ok']);
    expect(r.stdout).toContain('✖ bad: stage bad: failed after loading the engine');
    expect(readFileSync(path.join(dir, 'ok.txt'), 'utf8')).toBe('true'); // registered while running
    expect(JSON.parse(readFileSync(path.join(dir, 'exit-ok.json'), 'utf8'))).toEqual({ webgpuAtExit: false });
    expect(JSON.parse(readFileSync(path.join(dir, 'exit-bad.json'), 'utf8'))).toEqual({ webgpuAtExit: false });
  });
});
