/**
 * The report's latency (#26's "model" section): measured by evaluate into an unhashed sidecar
 * beside the report folder (`<out>.latency.js`), never into the hashed report, which stays the
 * same bytes from run to run; the page shows the sidecar's number when opened in Chromium, says
 * so when the sidecar is of another model, and keeps "not measured" when it is missing.
 */
import { execa } from 'execa';
import { cpSync, existsSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import evaluate from '../../stages/evaluate.ts';
import { initEngine } from '../../src/engine/index.ts';
import { latencySidecarHref, latencySidecarPath } from '../../src/report/latency-sidecar.ts';
import { CHROMIUM, chromiumMissing, screenshot } from './chromium.ts';
import { writeDataset, writeModel } from './fixture.ts';

let dir: string;

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-latency-'));
  await initEngine({ engine: 'cpu' });
  await writeDataset(join(dir, 'data'));
  await writeModel(join(dir, 'models', 'tiny'));
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

/** Runs the evaluate stage with its report folder written under `.tmp/<tag>/` (as the runner's temp path), then moved into place. */
async function runEvaluate(tag: string, params: Record<string, unknown> = {}): Promise<string[]> {
  const logs: string[] = [];
  const p = Value.Default(evaluate.params, {
    model: 'models/tiny',
    labels: 'data/test.txt',
    out: 'reports/tiny',
    engine: 'cpu',
    ...params,
  }) as never;
  const tmp = (declared: string) => join(dir, '.tmp', tag, declared);
  await evaluate.run({
    id: 'evaluate',
    params: p,
    cwd: dir,
    out: tmp,
    path: (rel: string) => resolve(dir, rel),
    log: (m: string) => logs.push(m),
    progress: () => {},
    signal: new AbortController().signal,
  } as never);
  rmSync(join(dir, 'reports', 'tiny'), { recursive: true, force: true });
  cpSync(tmp('reports/tiny'), join(dir, 'reports', 'tiny'), { recursive: true });
  return logs;
}

/** The record inside a sidecar's `mlcLatency({...});` call. */
function sidecarRecord(file: string): Record<string, unknown> {
  const m = /^mlcLatency\(([\s\S]*)\);$/m.exec(readFileSync(file, 'utf8'));
  expect(m, 'one mlcLatency(...) call').not.toBeNull();
  return JSON.parse(m![1]!);
}

/** The text of the page's `#latency` cell after its scripts ran, in headless Chromium. */
async function latencyCell(page: string): Promise<string> {
  const dom = (
    await execa(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', `file://${page}`], {
      timeout: 90_000,
    })
  ).stdout;
  const cell = /<td class="[^"]*" id="latency">([^<]*)<\/td>/.exec(dom);
  expect(cell, 'the latency cell').not.toBeNull();
  return cell![1]!;
}

describe('latency in the report, from an unhashed sidecar', () => {
  const sidecar = () => join(dir, 'reports', 'tiny.latency.js');
  const page = () => join(dir, 'reports', 'tiny', 'report.html');

  it('the sidecar lies beside the report folder, whatever the form of `out`', () => {
    expect(latencySidecarPath('reports/quickstart')).toBe(join('reports', 'quickstart.latency.js'));
    expect(latencySidecarPath('/a/reports/q/')).toBe('/a/reports/q.latency.js');
    expect(latencySidecarHref('reports/q r/')).toBe('../q%20r.latency.js');
  });

  it('evaluate writes the timing to the sidecar, not into the hashed report: two runs, same report bytes', async () => {
    await runEvaluate('a');
    const first = readFileSync(join(dir, '.tmp', 'a', 'reports', 'tiny', 'report.html'));
    const a = sidecarRecord(sidecar());
    const logs = await runEvaluate('b');
    const b = sidecarRecord(sidecar());
    expect(readFileSync(join(dir, '.tmp', 'b', 'reports', 'tiny', 'report.html')).equals(first)).toBe(true);
    // nothing in the report folder holds the measurement
    for (const f of ['report.html', 'run.json', 'metrics.json'])
      expect(readFileSync(join(dir, 'reports', 'tiny', f), 'utf8')).not.toContain(String(b.median_ms));
    expect(b.measured_at).not.toBe(a.measured_at);
    const run = JSON.parse(readFileSync(join(dir, 'reports', 'tiny', 'run.json'), 'utf8'));
    expect(b['model sha256']).toBe(run.meta['model sha256']);
    expect(run.params.evaluate).not.toHaveProperty('latency_runs');
    expect(b).toMatchObject({ model: 'models/tiny', batch_size: 1, runs: 20 });
    expect(typeof b.median_ms === 'number' && b.median_ms > 0 && Number.isFinite(b.median_ms)).toBe(true);
    expect(logs.some((l) => l.startsWith('latency (batch 1, median of 20) '))).toBe(true);
  });

  it.skipIf(chromiumMissing)(
    "the page shows the sidecar's latency; another model's is refused; a missing one says not measured",
    async () => {
      const r = sidecarRecord(sidecar());
      expect(await latencyCell(page())).toContain(
        `${(r.median_ms as number).toFixed(2)} ms per batch of 1 (median of 20 passes;`,
      );
      const shot = join(dir, 'latency.png');
      expect((await screenshot(page(), shot, '1280,1200')).console).toEqual([]);

      writeFileSync(
        sidecar(),
        `mlcLatency(${JSON.stringify({ ...r, 'model sha256': 'f'.repeat(64), median_ms: 123.456 })});\n`,
      );
      const other = await latencyCell(page());
      expect(other).toContain('another model');
      expect(other).not.toContain('123.46');

      rmSync(sidecar());
      expect(await latencyCell(page())).toBe('not measured: tiny.latency.js beside the report folder is missing');
      const missing = await screenshot(page(), shot, '1280,1200');
      expect(missing.console).toEqual([]); // a missing sidecar is not an error on the page
    },
  );

  it('latency_runs: 0 measures nothing, removes an earlier measurement, and says so', async () => {
    writeFileSync(sidecar(), 'mlcLatency({});\n');
    await runEvaluate('c', { latency_runs: 0 });
    expect(existsSync(sidecar())).toBe(false);
    const html = readFileSync(page(), 'utf8');
    expect(html).toContain("not measured (evaluate's <code>latency_runs: 0</code>)");
    expect(html).not.toContain('.latency.js');
  });
});
