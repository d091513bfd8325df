import { mkdtemp, readFile, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import sharp from 'sharp';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { confusionLayout } from '../../src/report/draw/confusion.ts';
import { CURVES_SIZE } from '../../src/report/draw/curves.ts';
import { PR_SIZE } from '../../src/report/draw/pr.ts';
import { fmt, higherIsBetter } from '../../src/report/html.ts';
import { wrongCsv, writeReport } from '../../src/report/write.ts';
import { chromiumMissing, screenshot } from './chromium.ts';

let dir: string;
const heads = [
  { name: 'province', classes: ['京', '沪', '粤'] },
  { name: 'dress', classes: ['dress'] },
];
// 6 samples; rows: province label, dress label
const labels = new Int32Array([0, 1, 1, 0, 2, 1, 0, -1, 0, 1, 2, 0]);
const province = new Float32Array([
  0.9, 0.05, 0.05, 0.1, 0.8, 0.1, 0.2, 0.2, 0.6, 0.95, 0.03, 0.02, 0.3, 0.6, 0.1, 0.1, 0.1, 0.8,
]);
const dress = new Float32Array([0.8, 0.3, 0.9, 0.2, 0.7, 0.4]);

beforeAll(async () => {
  dir = await mkdtemp(join(tmpdir(), 'mlc-report-'));
  for (let i = 0; i < 6; i++) {
    await sharp({ create: { width: 40, height: 24, channels: 3, background: { r: 40 * i, g: 120, b: 200 - 30 * i } } })
      .jpeg()
      .toFile(join(dir, `img${i}.jpg`));
  }
  await writeFile(
    join(dir, 'history.jsonl'),
    '{"epoch":1,"loss":1.0,"val_loss":1.1,"val_acc":0.4}\n{"epoch":2,"loss":0.6,"val_loss":0.8,"val_acc":0.6}\n',
  );
});
afterAll(async () => {
  await rm(dir, { recursive: true, force: true });
});

describe('writeReport', () => {
  it('writes metrics, drawings, wrong.csv and a self-contained report', async () => {
    const out = join(dir, 'report');
    const logs: string[] = [];
    const { files, evaluation } = await writeReport(
      { heads, probs: [province, dress], labels, paths: [0, 1, 2, 3, 4, 5].map((i) => `img${i}.jpg`) },
      {
        out,
        title: 'run <1>',
        meta: { model: 'models/x' },
        imageRoot: dir,
        history: join(dir, 'history.jsonl'),
        log: (m) => logs.push(m),
      },
    );
    expect(files.sort()).toEqual([
      'calibration_dress.png',
      'calibration_province.png',
      'confusion_province.png',
      'curves.json',
      'curves.png',
      'metrics.json',
      'pr_dress.png',
      'pr_province.png',
      'report.html',
      'roc_dress.png',
      'roc_province.png',
      'run.json',
      'wrong.csv',
    ]);
    expect((await readdir(out)).sort()).toEqual(files);
    // curves.json (for `mlc-pipe plots`): the evaluation's PR and ROC points, to 6 decimals
    const cj = JSON.parse(await readFile(join(out, 'curves.json'), 'utf8'));
    expect(Object.keys(cj.heads)).toEqual(['province', 'dress']);
    for (const h of ['province', 'dress']) {
      const c = evaluation.curves[h]!;
      expect(cj.heads[h].names).toEqual(c.names);
      cj.heads[h].pr.forEach((pts: number[][], k: number) =>
        pts.forEach(([r, p], j) => {
          expect(r).toBeCloseTo(c.pr[k]![j]!.recall, 6);
          expect(p).toBeCloseTo(c.pr[k]![j]!.precision, 6);
        }),
      );
      cj.heads[h].roc.forEach((pts: number[][], k: number) =>
        pts.forEach(([f, t], j) => {
          expect(f).toBeCloseTo(c.roc[k]![j]!.fpr, 6);
          expect(t).toBeCloseTo(c.roc[k]![j]!.tpr, 6);
        }),
      );
      expect(cj.heads[h].pr.map((p: unknown[]) => p.length)).toEqual(c.pr.map((p) => p.length));
    }

    const json = JSON.parse(await readFile(join(out, 'metrics.json'), 'utf8'));
    // province: pred 0,1,2,0,1,2 vs labels 0,1,2,0,0,2 → 5/6
    expect(json.heads.province.accuracy).toBeCloseTo(5 / 6, 12);
    expect(json.summary['acc/province']).toBeCloseTo(5 / 6, 12);
    expect(json.summary.mAP).toBe(evaluation.metrics.multilabel!.mAP);

    const meta = async (f: string) => {
      const m = await sharp(join(out, f)).metadata();
      return [m.format, m.width, m.height];
    };
    const L = confusionLayout(heads[0]!.classes);
    expect(await meta('confusion_province.png')).toEqual(['png', L.width, L.height]);
    expect(await meta('pr_dress.png')).toEqual(['png', PR_SIZE.width, PR_SIZE.height]);
    expect(await meta('curves.png')).toEqual(['png', CURVES_SIZE.width, CURVES_SIZE.height]);

    const html = await readFile(join(out, 'report.html'), 'utf8');
    expect(html).toContain('<title>run &lt;1&gt; · mlc-pipe report</title>');
    expect(html).not.toMatch(/(src|href)="(https?:|\/\/|file:)/); // nothing outside the file
    expect(html.match(/data:image\/png;base64,/g)?.length).toBe(8);
    expect(html).toContain('<h2 id="classification">Classification report</h2>');
    expect(html).toContain('<td class="l">macro avg</td>');
    expect(html).toContain('ROC curves (one-vs-rest) of province');
    expect(html).toContain('reliability diagram of dress');
    expect(html).toContain('data:image/jpeg;base64,'); // mistake thumbnails
    expect(html).toContain('img4.jpg'); // the one mistake: province 沪 predicted for 京

    const csv = (await readFile(join(out, 'wrong.csv'), 'utf8')).trim().split('\n');
    expect(csv[0]).toBe(
      'path,score,confident,province_pred,province_true,province_prob,dress_pred,dress_true,dress_prob',
    );
    expect(csv.length - 1).toBe(evaluation.mistakes.length);
  });

  it('header params in run.json and the report; compare_to lays a second run beside this one', async () => {
    const run = (out: string, dressProbs: Float32Array, extra = {}) =>
      writeReport(
        { heads, probs: [province, dressProbs], labels, paths: [0, 1, 2, 3, 4, 5].map((i) => `img${i}.jpg`) },
        {
          out,
          title: out.endsWith('base') ? 'base' : 'pruned',
          meta: { engine: 'cpu', 'data sha256': 'abc123' },
          params: { train: { epochs: 3 } },
          imageRoot: null,
          ...extra,
        },
      );
    await run(join(dir, 'base'), dress);
    const worse = new Float32Array([0.8, 0.3, 0.9, 0.2, 0.4, 0.6]); // sample 4 and 5 flip
    const pruning = {
      from: 'models/base',
      ratio: 0.4,
      params: { before: 1000, after: 600 },
      flops: { before: 5000, after: 3000 },
      threshold: 0.5,
      layers: [{ layer: 'conv1', kept: 3, total: 8 }],
      gamma: { max: 2, counts: [4, 1, 0, 3] },
    };
    await run(join(dir, 'pruned'), worse, {
      compareTo: join(dir, 'base'),
      model: { params: 600, flops: 3000, sizeBytes: 4096, pruning },
    });
    expect(JSON.parse(await readFile(join(dir, 'pruned', 'run.json'), 'utf8'))).toEqual({
      title: 'pruned',
      meta: { engine: 'cpu', 'data sha256': 'abc123' },
      params: { train: { epochs: 3 } },
    });
    const html = await readFile(join(dir, 'pruned', 'report.html'), 'utf8');
    expect(html).toContain(
      '<summary>train params</summary><table><tr><td class="l">epochs</td><td class="l">3</td></tr>',
    );
    expect(html).toContain('<h2 id="compare">Compared with base</h2>');
    // the model section: size and cost, the pruning before → after, |γ| histogram with the threshold, channels kept
    expect(html).toContain('<h2 id="model">Model</h2>');
    expect(html).toContain(
      '<tr><td class="l">parameters</td><td>600 (600)</td></tr><tr><td class="l">FLOPs per image</td><td>3000 (3.00 k)</td></tr>',
    );
    expect(html).toContain('<td class="l">parameters</td><td>1000</td><td>600</td><td class="better">−40.0 %</td>');
    expect(html).toContain('<td class="l">conv1</td><td>3</td><td>8</td><td>37.50%</td>');
    const svg = /<figure><svg[\s\S]*?<\/svg>/.exec(html)![0];
    expect(svg.match(/<rect /g)).toHaveLength(4); // a bar per bin
    // the threshold 0.5 of max 2 sits a quarter of the way along the 504-px plot from x = 44
    expect(svg).toContain('<line x1="170.0" y1="12" x2="170.0"');
    expect(svg).toContain('threshold 0.500');
    const mine = JSON.parse(await readFile(join(dir, 'pruned', 'metrics.json'), 'utf8')).summary;
    const base = JSON.parse(await readFile(join(dir, 'base', 'metrics.json'), 'utf8')).summary;
    expect(mine.all_heads_acc).toBeLessThan(base.all_heads_acc);
    const d = mine.all_heads_acc - base.all_heads_acc;
    // worse accuracy: red; a count stays an integer, a score always has 4 decimals
    expect(html).toContain(
      `<td class="l">all_heads_acc</td><td>${fmt(mine.all_heads_acc)}</td><td>${fmt(base.all_heads_acc)}</td><td class="worse">${fmt(d)}</td>`,
    );
    expect(fmt(1)).toBe('1.0000');
    expect(html).toMatch(/<td class="l">confident_count<\/td><td>\d+<\/td><td>\d+<\/td>/);
    // lower is better for ECE: a drop is green
    const ece = Object.keys(mine).find((k) => k.startsWith('ece/') && mine[k] !== base[k]);
    if (ece) expect(html).toContain(`<td class="${mine[ece] < base[ece] ? 'better' : 'worse'}">`);
    expect(higherIsBetter('ece/dress')).toBe(false);
    expect(higherIsBetter('confident_error_rate')).toBe(false);
    expect(higherIsBetter('val_loss')).toBe(false);
    expect(higherIsBetter('acc/dress')).toBe(true);
    expect(higherIsBetter('mAP')).toBe(true);
    // table of contents to every section, links to the files beside the page
    expect(html).toContain('<nav class="toc"><b>Contents</b><a href="#compare">Compared with base</a>');
    for (const id of ['scores', 'classification', 'mistakes', 'confidence'])
      expect(html).toContain(`<a href="#${id}">`);
    for (const f of ['metrics.json', 'run.json', 'wrong.csv']) expect(html).toContain(`<a href="${f}">${f}</a>`);
    // the scores table: the numbers metrics.json holds
    const dressScores = JSON.parse(await readFile(join(dir, 'pruned', 'metrics.json'), 'utf8')).heads.dress.scores;
    expect(html).toContain(
      `<td>${fmt(dressScores.balancedAccuracy)}</td><td>${fmt(dressScores.mcc)}</td><td>${fmt(dressScores.logLoss)}</td><td>${fmt(dressScores.brier)}</td>`,
    );
    expect(html).toContain('<summary>dress: F1 per class</summary>');
    const f1 = async (run: string) =>
      JSON.parse(await readFile(join(dir, run, 'metrics.json'), 'utf8')).heads.dress.report['macro avg'].f1 as number;
    const [a, b] = [await f1('pruned'), await f1('base')];
    expect(a).not.toBe(b);
    expect(html).toContain(
      `<td class="l">macro avg</td><td>${fmt(a)}</td><td>${fmt(b)}</td><td class="${a > b ? 'better' : 'worse'}">${fmt(a - b)}</td>`,
    );
    await expect(run(join(dir, 'x'), dress, { compareTo: join(dir, 'nope') })).rejects.toThrow(
      'no such run folder or metrics file',
    );
  });

  it('wrong.csv quotes fields and leaves unknown heads empty', () => {
    const csv = wrongCsv(
      ['a', 'b'],
      [
        {
          index: 0,
          path: 'x,"y".jpg',
          score: 0.5,
          confident: false,
          heads: [{ head: 'a', pred: '1', true: '0', prob: 0.5, ok: false }],
        },
      ],
    );
    expect(csv).toBe(
      'path,score,confident,a_pred,a_true,a_prob,b_pred,b_true,b_prob\n"x,""y"".jpg",0.500000,0,1,0,0.500000,,,\n',
    );
  });
});

describe.skipIf(chromiumMissing)('report in headless Chromium', () => {
  it('renders without console errors and screenshots', async () => {
    const out = join(dir, 'browser');
    await writeReport(
      { heads, probs: [province, dress], labels, paths: [0, 1, 2, 3, 4, 5].map((i) => `img${i}.jpg`) },
      { out, title: 'browser run', imageRoot: dir, history: join(dir, 'history.jsonl') },
    );
    const shot = join(dir, 'report.png');
    const run = await screenshot(join(out, 'report.html'), shot);
    expect(run.console).toEqual([]);
    const m = await sharp(shot).metadata();
    expect([m.format, m.width, m.height]).toEqual(['png', 1280, 2400]);
    const { channels } = await sharp(shot).stats();
    expect(channels[0]!.min).toBeLessThan(100); // something dark (text) was painted
  });

  it('the check sees a broken image and a script error (so the test above can fail)', async () => {
    const page = join(dir, 'broken.html');
    const html = (await readFile(join(dir, 'browser', 'report.html'), 'utf8')).replace(
      '<h1>',
      '<img src="data:image/png;base64,AAAA" alt="broken one"><script>throw new Error("boom")</script><h1>',
    );
    await writeFile(page, html);
    const run = await screenshot(page, join(dir, 'broken.png'), '800,600');
    expect(run.console.some((l) => l.includes('Uncaught Error: boom'))).toBe(true);
    expect(run.console.some((l) => l.includes('report: image did not load: broken one'))).toBe(true);
  });
});

if (chromiumMissing) {
  describe('report in headless Chromium', () => {
    it.skip('skipped: /usr/bin/chromium is not installed (apt-get install chromium, or set CHROMIUM)', () => {});
  });
}
