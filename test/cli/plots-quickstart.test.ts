/**
 * #26's done-when, shrunk to seconds: `plots diff` overlays a quickstart-shaped run's train and
 * fine-tune curves and two matrix experiments in one page. The pipeline is the quickstart's shape
 * (make-dataset → train → evaluate → prune → fine-tune → evaluate with compare_to) plus a 2-instance
 * `matrix` train experiment, with real built-in stages at a tiny size (16×48 images, width
 * multiplier 1/16, 2 epochs). The --json data must equal each model folder's history.jsonl; the page
 * is opened in Chromium, and its screenshot (kept in test-artifacts/plots/) must show every run's
 * colour drawn well beyond what its legend markers alone draw: the same page with every series
 * emptied is the baseline.
 */
import { mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import path from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { plotsHtml, type PlotData } from '../../src/report/plots.ts';
import { chromiumMissing, screenshot } from '../report/chromium.ts';
import { REPO, cli, tempProject } from '../runner/project.ts';

const TRAIN =
  'train_labels: data/train.txt, val_labels: data/val.txt, classes: data/classes.json, height: 16, width: 48, epochs: 2, batch_size: 8, threads: 1, seed: 0';
const PIPE = `name: mini-quickstart
stages:
  make-data:
    uses: make-dataset
    with: { name: plates, out: data, n: 64, seed: 0 }
  train:
    uses: train
    with: { ${TRAIN}, model: resnet18, width_multiplier: 0.0625, lr: 0.002, out: models/q }
  evaluate:
    uses: evaluate
    with: { model: models/q, labels: data/test.txt, out: reports/q, latency_runs: 1 }
  prune:
    uses: prune
    with: { model: models/q, ratio: 0.4, latency_runs: 1, out: models/q-pruned }
  finetune:
    uses: train
    with: { ${TRAIN}, init_from: models/q-pruned, lr: 0.001, out: models/q-finetuned }
  evaluate-finetuned:
    uses: evaluate
    with: { model: models/q-finetuned, labels: data/test.txt, compare_to: reports/q, out: reports/q-finetuned, latency_runs: 1 }
  exp:
    matrix: { lr: [0.001, 0.01] }
    uses: train
    with: { ${TRAIN}, model: resnet18, width_multiplier: 0.0625, lr: "\${item.lr}", out: "models/exp-\${key}" }
`;

/** Where the test keeps its screenshots (git-ignored), for a person to look at. */
const ARTIFACTS = path.join(REPO, 'test-artifacts', 'plots');

/** Pixels of the screenshot within a small distance of colour `hex`. */
async function colourPixels(png: string, hexes: string[]): Promise<number[]> {
  const { data, info } = await sharp(png).removeAlpha().raw().toBuffer({ resolveWithObject: true });
  const rgb = hexes.map((h) => [1, 3, 5].map((i) => parseInt(h.slice(i, i + 2), 16)));
  const counts = hexes.map(() => 0);
  for (let p = 0; p < info.width * info.height * 3; p += 3) {
    rgb.forEach(([r, g, b], k) => {
      if (Math.abs(data[p]! - r!) + Math.abs(data[p + 1]! - g!) + Math.abs(data[p + 2]! - b!) < 30) counts[k]!++;
    });
  }
  return counts;
}

describe('plots diff on a quickstart-shaped run', () => {
  const dir = tempProject({ 'p.yaml': PIPE, '.gitignore': 'data/\nmodels/\nreports/\n.mlc/\nlogs/\nplots/\n' });
  const file = path.join(dir, 'p.yaml');

  it(
    'overlays train, fine-tune and the two matrix experiments; the page draws every run in Chromium',
    { timeout: 900_000 },
    async () => {
      const r = await cli(['run', 'p.yaml'], dir);
      expect(r.code, r.stderr + r.stdout).toBe(0);

      const j = await cli(['plots', 'diff', 'p.yaml', '--json'], dir);
      expect(j.code, j.stderr).toBe(0);
      const data = JSON.parse(j.stdout) as PlotData;
      const trained = {
        train: 'models/q',
        finetune: 'models/q-finetuned',
        'exp@0.001': 'models/exp-0.001',
        'exp@0.01': 'models/exp-0.01',
      };
      expect(data.runs.map((x) => x.name)).toEqual([
        'train',
        'evaluate',
        'finetune',
        'evaluate-finetuned',
        'exp@0.001',
        'exp@0.01',
      ]);
      for (const [name, folder] of Object.entries(trained)) {
        const onDisk = readFileSync(path.join(dir, folder, 'history.jsonl'), 'utf8')
          .trim()
          .split('\n')
          .map((l) => JSON.parse(l) as Record<string, unknown>);
        const run = data.runs.find((x) => x.name === name)!;
        expect(run.history!.length, name).toBe(2);
        expect(
          run.history!.map((row) => [row.epoch, row.loss, row.val_loss]),
          name,
        ).toEqual(onDisk.map((row) => [row.epoch, row.loss, row.val_loss]));
      }
      // the experiments differ in their learning rate, and the plotted lr says so
      expect(data.runs.find((x) => x.name === 'exp@0.01')!.history![0]!.lr).toBeGreaterThan(
        data.runs.find((x) => x.name === 'exp@0.001')!.history![0]!.lr!,
      );
      // both reports' PR/ROC and confusion (5 heads of plates) are there
      for (const name of ['evaluate', 'evaluate-finetuned'])
        expect(Object.keys(data.runs.find((x) => x.name === name)!.confusion ?? {}).length, name).toBeGreaterThan(0);

      const page = path.join(dir, 'plots', 'diff.html');
      const w = await cli(['plots', 'diff', 'p.yaml', '--out', page], dir);
      expect(w.code, w.stderr).toBe(0);
      expect(w.stdout).toBe(`6 run(s) plotted: ${page}`);
      if (chromiumMissing) return;

      // the same page with every series emptied: only the legends draw the runs' colours
      const empty = path.join(dir, 'plots', 'empty.html');
      writeFileSync(
        empty,
        plotsHtml({
          ...data,
          runs: data.runs.map((x) => ({
            ...x,
            history: x.history?.map((row) =>
              Object.fromEntries(Object.keys(row).map((k) => [k, k === 'epoch' ? row[k]! : null])),
            ),
          })),
        }),
      );
      mkdirSync(ARTIFACTS, { recursive: true });
      const shot = path.join(ARTIFACTS, 'quickstart-diff.png');
      const base = path.join(ARTIFACTS, 'quickstart-diff-empty.png');
      const size = '1280,6000';
      expect((await screenshot(page, shot, size)).console).toEqual([]);
      expect((await screenshot(empty, base, size)).console).toEqual([]);
      expect((await sharp(shot).metadata()).width).toBe(1280);

      // the page colours run i with COLORS[i]; every training run is drawn in its colour, far beyond its legend markers
      const html = readFileSync(page, 'utf8');
      const colours = JSON.parse(/"colors":(\[[^\]]*\])/.exec(html)![1]!) as string[];
      const names = data.runs.map((x) => x.name);
      const want = Object.keys(trained).map((n) => colours[names.indexOf(n) % colours.length]!);
      const [drawn, legends] = [await colourPixels(shot, want), await colourPixels(base, want)];
      Object.keys(trained).forEach((n, k) =>
        expect(
          drawn[k]!,
          `${n} (${want[k]}): ${drawn[k]} pixels drawn, ${legends[k]} in its legends alone`,
        ).toBeGreaterThan(legends[k]! + 2000),
      );
    },
  );
});
