/**
 * `mlc-pipe plots show|diff` on a real run of a matrix sweep: a stage writes a history.jsonl whose
 * numbers follow from its params, an evaluate-like stage writes metrics.json and curves.json; the
 * --json data must equal those files' numbers, and the page must render in headless Chromium
 * (canvases, legend names, no console errors). `diff HEAD` reads the committed lock file's
 * outputs from the run-cache (outputs are git-ignored).
 */
import { readFileSync } from 'node:fs';
import path from 'node:path';
import { execa } from 'execa';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { CHROMIUM, chromiumMissing, screenshot } from '../report/chromium.ts';
import { STAGE_API, tempProject } from '../runner/project.ts';
import { runMain as run } from './run-main.ts';
import { plotCharts, plotsHtml } from '../../src/report/plots.ts';

// epoch e (1..3): loss = lr * (4 - e), acc = e / 10, lr as written
const FIT = `import { mkdirSync, writeFileSync } from 'node:fs';
import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
export default defineStage({
  name: 'fit', version: '1', description: 'writes a history',
  params: Type.Object({ lr: Type.Number({ description: 'Rate.' }), out: Type.String({ description: 'Output.' }) }),
  inputs: () => [], outputs: (p) => [p.out],
  async run(ctx) {
    const dir = ctx.out(ctx.params.out);
    mkdirSync(dir, { recursive: true });
    const rows = [1, 2, 3].map((e) => JSON.stringify({ epoch: e, loss: ctx.params.lr * (4 - e), color_acc: e / 10, lr: ctx.params.lr }));
    writeFileSync(dir + '/history.jsonl', rows.join('\\n') + '\\n');
    return { metrics: {} };
  },
});
`;
// one softmax head, 2 classes; class a: PR through (0.5, 1), (1, 0.5); ROC (0,0),(0,1),(1,1)
const EVAL = `import { mkdirSync, writeFileSync } from 'node:fs';
import { defineStage, Type } from ${JSON.stringify(STAGE_API)};
export default defineStage({
  name: 'ev', version: '1', description: 'writes a report',
  params: Type.Object({ out: Type.String({ description: 'Output.' }) }),
  inputs: () => [], outputs: (p) => [p.out],
  async run(ctx) {
    const dir = ctx.out(ctx.params.out);
    mkdirSync(dir, { recursive: true });
    writeFileSync(dir + '/metrics.json', JSON.stringify({ summary: {}, heads: { color: { kind: 'softmax', confusion: [[3, 1], [0, 4]] } } }));
    writeFileSync(dir + '/curves.json', JSON.stringify({ heads: { color: { names: ['a', 'b'], pr: [[[0, 1], [0.5, 1], [1, 0.5]], [[0, 1], [1, 1]]], roc: [[[0, 0], [0, 1], [1, 1]], [[0, 0], [0.5, 0.5], [1, 1]]] } } }));
    return { metrics: {} };
  },
});
`;
const PIPE = (lrs: string) => `name: demo
stages:
  train:
    matrix: { lr: ${lrs} }
    uses: ./fit.ts
    with: { lr: "\${item.lr}", out: "out/\${key}" }
  evaluate:
    uses: ./ev.ts
    with: { out: out/report }
`;

const hist = (lr: number) => [1, 2, 3].map((e) => ({ epoch: e, loss: lr * (4 - e), color_acc: e / 10, lr }));

describe('plots', () => {
  const dir = tempProject({
    'fit.ts': FIT,
    'ev.ts': EVAL,
    'p.yaml': PIPE('[0.1, 0.3]'),
    '.gitignore': 'out/\n.mlc/\nlogs/\nplots/\n',
  });
  const file = path.join(dir, 'p.yaml');

  it('show --json: the history and confusion numbers of the files, PR/ROC on the grid', async () => {
    expect((await run('run', file, '--plain')).code).toBe(0);
    const r = await run('plots', 'show', file, '--json');
    expect(r.err).toBe('');
    expect(r.code).toBe(0);
    const data = JSON.parse(r.out);
    expect(data.pipeline).toBe('demo');
    expect(data.runs.map((x: { name: string }) => x.name)).toEqual(['train@0.1', 'train@0.3', 'evaluate']);
    const onDisk = (rel: string) =>
      readFileSync(path.join(dir, rel), 'utf8')
        .trim()
        .split('\n')
        .map((l) => JSON.parse(l));
    expect(data.runs[0].history).toEqual(onDisk('out/0.1/history.jsonl'));
    expect(data.runs[1].history).toEqual(hist(0.3));
    expect(data.runs[2].confusion).toEqual({
      color: {
        classes: ['a', 'b'],
        matrix: [
          [3, 1],
          [0, 4],
        ],
      },
    });
    const c = data.runs[2].curves.color;
    // PR: class a has precision 1 up to recall 0.5, then 0.5; class b 1 everywhere → macro 1 then 0.75
    expect(c.pr[0]).toBe(1);
    expect(c.pr[50]).toBe(1);
    expect(c.pr[51]).toBe(0.75);
    expect(c.pr[100]).toBe(0.75);
    // ROC at fpr 0.25: class a tpr 1, class b (step) 0 → 0.5; at fpr 0.5: (1 + 0.5) / 2
    expect(c.roc[25]).toBe(0.5);
    expect(c.roc[50]).toBe(0.75);
  });

  it('accuracy charts are shares (y inside 0..1); epochs are whole-number ticks; confusion grouped by head', () => {
    const runs = [1, 2].map((k) => ({
      name: `r${k}`,
      stage: 'r',
      from: 'workspace',
      history: hist(0.1 * k),
      confusion: {
        color: {
          classes: ['a', 'b'],
          matrix: [
            [1, 0],
            [0, 1],
          ],
        },
      },
    }));
    const charts = plotCharts({ pipeline: 'p', grid: [], runs });
    expect(charts.map((c) => [c.title, c.share ?? false])).toEqual([
      ['loss', false],
      ['color_acc', true],
      ['lr', false],
    ]);
    const html = plotsHtml({ pipeline: 'p', grid: [], runs });
    expect(html).toContain('incrs: [1, 2, 5, 10');
    // one row for head color, r1 and r2 side by side
    expect(html.match(/<div class="row">/g)?.length).toBe(1);
    expect(html.indexOf('color: r1</figcaption>')).toBeLessThan(html.indexOf('color: r2</figcaption>'));
  });

  it.skipIf(chromiumMissing)('show writes one offline page that renders in Chromium', async () => {
    const r = await run('plots', 'show', file);
    expect(r.code).toBe(0);
    const page = path.join(dir, 'plots', 'demo.html');
    expect(r.out).toContain(page);
    const html = readFileSync(page, 'utf8');
    expect(html).not.toMatch(/<script[^>]+src=|<link[^>]+href=/); // nothing fetched: works offline
    const dom = (
      await execa(CHROMIUM, ['--headless', '--no-sandbox', '--disable-gpu', '--dump-dom', `file://${page}`], {
        timeout: 90_000,
      })
    ).stdout;
    // 3 history keys (loss, color_acc, lr) + PR and ROC of head color
    expect(dom.match(/<canvas/g)?.length).toBe(5);
    for (const t of [
      'loss',
      'color_acc',
      'color: precision-recall (macro over classes)',
      'color: ROC (macro over classes)',
    ])
      expect(dom).toContain(`>${t}</div>`);
    for (const n of ['train@0.1', 'train@0.3', 'evaluate']) expect(dom).toContain(`>${n}</div>`);
    const shot = path.join(dir, 'plots', 'demo.png');
    const b = await screenshot(page, shot, '1280,1400');
    expect(b.console).toEqual([]);
    const m = await sharp(shot).metadata();
    expect([m.format, m.width]).toEqual(['png', 1280]);
  });

  it("diff HEAD: the committed lock's outputs, read from the run-cache, beside the workspace", async () => {
    const git = (...a: string[]) => execa('git', a, { cwd: dir });
    await git('init', '-q');
    await git('add', '-A');
    await git('-c', 'user.name=t', '-c', 'user.email=t@t', 'commit', '-qm', 'first sweep');
    const { writeFileSync } = await import('node:fs');
    writeFileSync(file, PIPE('[0.1, 0.5]'));
    expect((await run('run', file, '--plain')).code).toBe(0);
    const r = await run('plots', 'diff', file, 'HEAD', '--json');
    expect(r.code).toBe(0);
    const runs = JSON.parse(r.out).runs as Array<{ name: string; history?: unknown }>;
    // HEAD's stages are those its lock records (train@0.3 is no longer in the pipeline), in the lock's (sorted) order
    expect(runs.map((x) => x.name)).toEqual([
      'train@0.1',
      'train@0.5',
      'evaluate',
      'HEAD:evaluate',
      'HEAD:train@0.1',
      'HEAD:train@0.3',
    ]);
    expect(runs.find((x) => x.name === 'train@0.5')!.history).toEqual(hist(0.5));
    expect(runs.find((x) => x.name === 'HEAD:train@0.3')!.history).toEqual(hist(0.3));
    expect(runs.find((x) => x.name === 'HEAD:train@0.1')!.history).toEqual(hist(0.1));

    // -a: the earlier runs still in the run-cache (train@0.3's, no longer in the pipeline), not the current ones
    const all = JSON.parse((await run('plots', 'diff', file, '-a', '--json')).out).runs as Array<{
      name: string;
      from: string;
      history?: unknown;
    }>;
    const cached = all.filter((x) => x.from === 'run-cache');
    expect(cached.map((x) => x.name.replace(/^run-cache \S+:/, ''))).toEqual(['train@0.3']);
    expect(cached[0]!.history).toEqual(hist(0.3));

    // --out: the page of the diff, HEAD's series among its legends' data
    const page = path.join(dir, 'elsewhere', 'diff.html');
    const w = await run('plots', 'diff', file, 'HEAD', '--out', page);
    expect(w.code).toBe(0);
    expect(w.out).toBe(`6 run(s) plotted: ${page}\n`);
    expect(readFileSync(page, 'utf8')).toContain(
      `"name":"HEAD:train@0.3","y":${JSON.stringify(hist(0.3).map((r) => r.loss))}`,
    );
  });

  it('diff: an unknown revision is refused with exit 2; a missing pipeline too', async () => {
    const r = await run('plots', 'diff', file, 'no-such-rev');
    expect(r.code).toBe(2);
    expect(r.err).toContain('`no-such-rev` is not a git revision');
    expect((await run('plots', 'show')).code).toBe(2);
  });
});
