/**
 * The deploy-parity table of issue #28, rerun: test plates saved at 3× the model's size and at about
 * ⅔ of it (Pillow, as a user would), then
 *   - `mlc-pipe predict`'s path (predict(): sharp decode, our resize, the tfjs model), and
 *   - a Python client following MODEL_CARD.md: Pillow decode + Image.BILINEAR in 'F' mode + numpy
 *     standardisation → model_float.onnx, and Pillow decode only → model.onnx (`pixels`),
 *     both run by onnxruntime-node (Python onnxruntime is not installable here),
 * compared on head decisions and max |p difference|.
 *
 *   npx tsx bench/deploy/parity.ts <export folder> <label file> [images=80]
 */
import { execFileSync } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import * as ort from 'onnxruntime-node';
import { predict } from '../../src/predict/predict-files.ts';

const [exportDir, labels, count = '80'] = process.argv.slice(2);
if (!exportDir || !labels)
  throw new Error('usage: npx tsx bench/deploy/parity.ts <export folder> <label file> [images]');
const meta = JSON.parse(await readFile(join(exportDir, 'metadata.json'), 'utf8'));
const pre = meta.preprocessing;
const { height: H, width: W } = pre.resize;
const files = (await readFile(labels, 'utf8'))
  .trim()
  .split('\n')
  .slice(0, Number(count))
  .map((l) => join(dirname(labels), l.split(/\s+/)[0]!));
const tmp = await mkdtemp(join(tmpdir(), 'deploy-parity-'));
const py = `
import sys, json, numpy as np
from PIL import Image, ImageOps
tmp, H, W, whiten, bgr = sys.argv[1], int(sys.argv[2]), int(sys.argv[3]), sys.argv[4] == '1', sys.argv[5] == '1'
files = json.load(open(tmp + '/files.json'))
out = {}
for tag, (h, w) in {'down': (3 * H, 3 * W), 'up': (round(2 * H / 3), round(2 * W / 3))}.items():
    xs, ps, names = [], [], []
    for i, f in enumerate(files):
        name = f'{tmp}/{tag}-{i}.png'
        Image.open(f).convert('RGB').resize((w, h), Image.BILINEAR).save(name)  # the user's photo at another size
        a = np.asarray(ImageOps.exif_transpose(Image.open(name)).convert('RGB'))  # the card's steps from here
        x = np.stack([np.asarray(Image.fromarray(c, 'F').resize((W, H), Image.BILINEAR)) for c in a.transpose(2, 0, 1).astype(np.float32)], -1) / 255
        if whiten: x = (x - x.mean()) / max(x.std(), 1 / np.sqrt(x.size))
        if bgr: x = x[..., ::-1]
        xs.append(np.ascontiguousarray(x, dtype=np.float32)); ps.append(a); names.append(name)
    np.stack(xs).tofile(f'{tmp}/{tag}-float.bin'); np.stack(ps).tofile(f'{tmp}/{tag}-pixels.bin')
    out[tag] = {'h': h, 'w': w, 'files': names}
json.dump(out, open(tmp + '/made.json', 'w'))
`;
await writeFile(join(tmp, 'files.json'), JSON.stringify(files));
execFileSync('/usr/bin/python3', [
  '-c',
  py,
  tmp,
  String(H),
  String(W),
  pre.normalize.kind === 'per_image' ? '1' : '0',
  pre.channels === 'BGR' ? '1' : '0',
]);
const made = JSON.parse(await readFile(join(tmp, 'made.json'), 'utf8')) as Record<
  string,
  { h: number; w: number; files: string[] }
>;
const floatSession = await ort.InferenceSession.create(join(exportDir, meta.files.onnxFloat));
const pixelSession = meta.pixels ? await ort.InferenceSession.create(join(exportDir, meta.pixels.file)) : undefined;
const pick = (v: number[]) => (v.length === 1 ? Number(v[0]! >= 0.5) : v.indexOf(Math.max(...v)));
console.log('| files | client | decisions agreeing with predict | max |p diff| |');
console.log('|---|---|---|---|');
for (const [tag, m] of Object.entries(made)) {
  const rows = await predict({ model: exportDir, inputs: m.files, topK: 99, engine: 'cpu' });
  const want = m.files.map((f) => {
    const r = rows.find((x) => x.path.endsWith(f.split('/').pop()!))!;
    return meta.outputs.map((o: { head: string; classes: string[] }) =>
      o.classes.map((c) => r.heads[o.head]!.find((e) => e.class === c)!.prob),
    );
  });
  const n = m.files.length;
  const clients: Array<[string, ort.InferenceSession | undefined, string]> = [
    ['Pillow + numpy → model_float.onnx', floatSession, 'float'],
    ['Pillow decode → model.onnx (pixels)', pixelSession, 'pixels'],
  ];
  for (const [label, session, kind] of clients) {
    if (!session) continue;
    const raw = await readFile(join(tmp, `${tag}-${kind}.bin`));
    const feed =
      kind === 'float'
        ? {
            [meta.input.name]: new ort.Tensor(
              'float32',
              new Float32Array(raw.buffer.slice(raw.byteOffset, raw.byteOffset + raw.byteLength)),
              [n, H, W, 3],
            ),
          }
        : { [meta.pixels.name]: new ort.Tensor('uint8', new Uint8Array(raw), [n, m.h, m.w, 3]) };
    const out = await session.run(feed);
    let agree = 0;
    let total = 0;
    let worst = 0;
    meta.outputs.forEach((o: { name: string; classes: string[] }, hi: number) => {
      const k = o.classes.length;
      const data = out[o.name]!.data as Float32Array;
      for (let i = 0; i < n; i++) {
        const got = Array.from(data.subarray(i * k, (i + 1) * k));
        got.forEach((p, j) => (worst = Math.max(worst, Math.abs(p - want[i]![hi]![j]!))));
        total++;
        if (pick(got) === pick(want[i]![hi]!)) agree++;
      }
    });
    console.log(
      `| ${n} plates at ${m.w}×${m.h} (${tag === 'down' ? 'downscale' : 'upscale'}) | ${label} | ${agree} / ${total} | ${worst.toExponential(2)} |`,
    );
  }
}
await rm(tmp, { recursive: true, force: true });
