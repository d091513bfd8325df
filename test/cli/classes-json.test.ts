/**
 * classes.json is validated as a document, each problem at its line:col (exit 2, before any
 * compute): unique head names, unique class names per head, at least one class. A label outside
 * its head's classes is refused naming the label file and line, never deep in the engine.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import sharp from 'sharp';
import { describe, expect, it } from 'vitest';
import { cli, tempProject } from '../runner/project.ts';

const PIPELINE = `stages:
  train:
    uses: train
    with: { train_labels: train.txt, val_labels: '', classes: classes.json, out: models/m, width_multiplier: 0.0625, height: 16, width: 16, epochs: 1, batch_size: 2, engine: cpu }
`;
const LABELS = 'a.png 0 1\nb.png 1 0\nc.png 2 1\n';

async function train(classes: string, labels = LABELS) {
  const dir = tempProject({ 'p.yaml': PIPELINE, 'classes.json': classes, 'train.txt': labels });
  return cli(['run', 'p.yaml'], dir);
}

describe('classes.json is validated as a document', () => {
  it('a class name twice in one head: refused at its line:col, exit 2', async () => {
    const r = await train(
      '{\n  "heads": [\n    { "name": "digit", "classes": ["0", "1", "1"] },\n    { "name": "inv", "classes": ["inv"] }\n  ]\n}\n',
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('classes.json: 3:46: class "1" repeats in head "digit" (classes[1] and classes[2])');
    expect(r.stderr).toContain('hint: give every class of a head its own name');
  });

  it('a head name twice: refused at the second, naming the first', async () => {
    const r = await train(
      '{"heads": [\n  {"name": "digit", "classes": ["0", "1", "2"]},\n  {"name": "digit", "classes": ["x"]}\n]}\n',
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('classes.json: 3:12: head name "digit" repeats heads[0] (line 2:12)');
  });

  it('a head with no class, and JSON that does not parse: refused at line:col', async () => {
    const empty = await train(
      '{"heads": [\n  {"name": "digit", "classes": ["0", "1", "2"]},\n  {"name": "inv", "classes": []}\n]}\n',
    );
    expect(empty.code).toBe(2);
    expect(empty.stdout).toContain('classes.json: 3:30: head "inv" needs at least one class in "classes"');
    const broken = await train('{"heads": [\n  {"name": "digit" "classes": ["0"]}\n]}\n');
    expect(broken.code).toBe(2);
    expect(broken.stdout).toMatch(/classes\.json: 2:20: not valid JSON: /);
  });

  it("a label beyond its head's classes: refused naming the label file and line, before the engine starts", async () => {
    const r = await train(
      '{"heads": [{"name": "digit", "classes": ["0", "1", "2"]}, {"name": "inv", "classes": ["inv"]}]}\n',
      'a.png 0 1\nb.png 5 0\n',
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(
      'train.txt:2: label 5 of head "digit" (column 1) is outside 0..2 (3 classes), or -1 for unknown',
    );
    expect(r.stdout).not.toContain('MlcPipeCrossEntropy');
    const binary = await train(
      '{"heads": [{"name": "digit", "classes": ["0", "1", "2"]}, {"name": "inv", "classes": ["inv"]}]}\n',
      'a.png 0 1\nb.png 1 2\n',
    );
    expect(binary.stdout).toContain(
      'train.txt:2: label 2 of head "inv" (column 2) is outside 0..1 (a binary head: 0 or 1), or -1 for unknown',
    );
  });

  it('a label file whose column count differs from the heads: refused at the line before compute, exit 2', async () => {
    const r = await train(
      '{"heads": [{"name": "digit", "classes": ["0", "1", "2"]}, {"name": "inv", "classes": ["inv"]}]}\n',
      'a.png 0 1\nb.png 1\n',
    );
    expect(r.code).toBe(2);
    expect(r.stdout).toContain('train.txt:2: expected 2 labels (one per head of classes.json), found 1');
    expect(r.stdout).not.toContain('✔ train');
    const more = await train(
      '{"heads": [{"name": "digit", "classes": ["0", "1", "2"]}]}\n',
      'a.png 0\nb.png 1\nc.png 2 0\n',
    );
    expect(more.code).toBe(2);
    expect(more.stdout).toContain('train.txt:3: expected 1 labels (one per head of classes.json), found 2');
  });

  it('check-labels rejects a label out of range into rejects.txt naming its line, and names the file and line in the stage log', async () => {
    const png = await sharp({ create: { width: 4, height: 4, channels: 3, background: { r: 9, g: 99, b: 199 } } })
      .png()
      .toBuffer();
    const dir = tempProject({
      'p.yaml':
        'stages:\n  check:\n    uses: check-labels\n    with: { labels: data/labels.txt, out: data/clean, max_reject_rate: 1 }\n',
      'data/classes.json':
        '{"heads": [{"name": "digit", "classes": ["0", "1", "2"]}, {"name": "inv", "classes": ["inv"]}]}\n',
      'data/labels.txt': 'a.png 0 1\na.png 3 0\nb.png 1 2\n',
    });
    writeFileSync(join(dir, 'data', 'a.png'), png);
    writeFileSync(join(dir, 'data', 'b.png'), png);
    const r = await cli(['run', 'p.yaml'], dir);
    expect(r.code).toBe(0);
    expect(readFileSync(join(dir, 'data', 'clean', 'rejects.txt'), 'utf8')).toBe(
      '2\tlabel 3 in column 1 (head digit) is outside [-1, 2]\ta.png 3 0\n3\tlabel 2 in column 2 (head inv) is outside [-1, 1]\tb.png 1 2\n',
    );
    expect(readFileSync(join(dir, 'data', 'clean', 'clean.txt'), 'utf8')).toBe('../a.png 0 1\n');
    const log = readFileSync(join(dir, 'logs', 'p', 'check.log'), 'utf8');
    expect(log).toContain('data/labels.txt:2: label 3 in column 1 (head digit) is outside [-1, 2]');
    expect(log).toContain('data/labels.txt:3: label 2 in column 2 (head inv) is outside [-1, 1]');
  });
});
