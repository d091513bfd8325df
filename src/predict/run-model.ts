/**
 * Runs predict's model on the images that passed inspection: a tfjs model folder through the loader
 * and the engine; a model.onnx through onnxruntime-node, on raw pixels when its graph holds the
 * preprocessing, else through the loader. Images that fail here join `errors`.
 */
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { createLoader } from '../data/loader/create-loader.ts';
import type { HeadSpec } from '../data/heads.ts';
import { ConfigError, DataError } from '../errors.ts';
import { loaderInputOptions, type InputConfig } from '../model/io.ts';
import type { Inference } from './loader-inference.ts';
import type { OnnxModel } from './onnx-inference.ts';
import type { ModelSource } from './model-source.ts';
import type { Image, PredictOptions } from './predict-files.ts';

/** Image path (absolute) → per head, its probabilities. */
type Probabilities = Map<string, Float32Array[]>;

/**
 * Runs `infer` over the images through a loader (a label file of unknown labels in a temp folder).
 * An image the loader cannot read is dropped into `errors` (named by the user's path, never the
 * temp file) and the rest run again, so one bad file never stops the batch.
 */
async function inferReadable(
  images: Image[],
  heads: HeadSpec[],
  errors: Map<string, string>,
  run: (list: string, root: string) => Promise<Inference>,
): Promise<Inference | undefined> {
  let todo = images.filter((im) => !errors.has(im.abs));
  const tmp = await mkdtemp(join(tmpdir(), 'mlc-predict-'));
  try {
    while (todo.length) {
      const list = join(tmp, 'images.txt');
      await writeFile(list, todo.map((im) => `${im.abs}\t${heads.map(() => '-1').join(' ')}`).join('\n') + '\n');
      try {
        return await run(list, tmp);
      } catch (err) {
        const line = err instanceof DataError && err.file === list ? err.line : undefined;
        const bad = line !== undefined ? todo[line - 1] : undefined;
        if (!bad) throw err;
        errors.set(bad.abs, (err as Error).message.slice(`${list}:${line}: `.length).replace(list, bad.shown));
        todo = todo.filter((im) => im !== bad);
      }
    }
    return undefined;
  } finally {
    await rm(tmp, { recursive: true, force: true });
  }
}

/** Each readable image's probabilities per head, by the model `source` names. */
export async function modelProbabilities(
  source: ModelSource,
  images: Image[],
  heads: HeadSpec[],
  errors: Map<string, string>,
  options: PredictOptions,
): Promise<Probabilities> {
  const probsOf: Probabilities = new Map();
  const collect = (result: Inference | undefined) => {
    result?.paths.forEach((p, n) =>
      probsOf.set(
        p,
        heads.map((h, i) =>
          result.probs[i]!.subarray(
            n * (h.classes.length === 1 ? 1 : h.classes.length),
            (n + 1) * (h.classes.length === 1 ? 1 : h.classes.length),
          ),
        ),
      ),
    );
  };
  if (source.kind === 'tfjs') collect(await inferTfjs(source.dir, images, heads, errors, options));
  else await inferOnnxModel(source, images, heads, errors, options, probsOf, collect);
  return probsOf;
}

async function inferTfjs(
  dir: string,
  images: Image[],
  heads: HeadSpec[],
  errors: Map<string, string>,
  options: PredictOptions,
): Promise<Inference | undefined> {
  const { startEngine } = await import('../engine/index.ts');
  const { loadTrainedModel } = await import('../model/io.ts');
  const { inferAll } = await import('./loader-inference.ts');
  await startEngine(options, { log: options.log });
  const { model, config } = await loadTrainedModel(dir);
  try {
    const input = config.input;
    return await inferReadable(images, heads, errors, async (list, root) => {
      const loader = await createLoader({
        labels: list,
        root,
        heads: heads.length,
        ...loaderInputOptions(input),
        batchSize: options.batchSize ?? 32,
      });
      try {
        return await inferAll(model, heads, loader, {
          height: input.height,
          width: input.width,
          channels: input.channels ?? 3,
          progress: options.progress,
        });
      } finally {
        await loader.close();
      }
    });
  } finally {
    model.dispose();
  }
}

async function inferOnnxModel(
  source: Extract<ModelSource, { kind: 'onnx' }>,
  images: Image[],
  heads: HeadSpec[],
  errors: Map<string, string>,
  options: PredictOptions,
  probsOf: Probabilities,
  collect: (r: Inference | undefined) => void,
): Promise<void> {
  const { openOnnx, inferOnnx } = await import('./onnx-inference.ts');
  const onnx = await openOnnx(source.file, source.dir, heads);
  options.log?.(
    `engine used: onnxruntime-node (${onnx.pixels ? 'uint8 pixels input, preprocessing inside the graph' : 'float input, preprocessed here'})`,
  );
  try {
    if (onnx.pixels) {
      const channels = (await loadInput(source.dir))?.channels ?? 3;
      await inferPixels(onnx, channels === 1 ? 1 : 3, images, errors, options, probsOf);
      return;
    }
    const input = await loadInput(source.dir);
    if (!input)
      throw new ConfigError(`--model ${options.model}: its input size is unknown (no config.json beside it)`, {
        hint: 'keep model.onnx in the export folder convert wrote',
      });
    collect(
      await inferReadable(images, heads, errors, async (list, root) => {
        const loader = await createLoader({
          labels: list,
          root,
          heads: heads.length,
          ...loaderInputOptions(input),
          batchSize: options.batchSize ?? 32,
        });
        try {
          return await inferOnnx(
            onnx,
            heads,
            loader,
            { height: input.height, width: input.width, channels: input.channels ?? 3 },
            options.progress,
          );
        } finally {
          await loader.close();
        }
      }),
    );
  } finally {
    await onnx.release();
  }
}

/** A pixels-input ONNX graph: each image decoded as it is and run alone (any size). */
async function inferPixels(
  onnx: OnnxModel,
  channels: 1 | 3,
  images: Image[],
  errors: Map<string, string>,
  options: PredictOptions,
  probsOf: Probabilities,
): Promise<void> {
  const { decodePixels } = await import('../data/image/decode.ts');
  let done = 0;
  for (const im of images) {
    if (errors.has(im.abs)) continue;
    try {
      const px = await decodePixels(im.abs, channels);
      probsOf.set(im.abs, await onnx.run(px.data, [1, px.height, px.width, px.channels]));
    } catch (err) {
      errors.set(im.abs, `does not decode: ${(err as Error).message.split('\n')[0]}`);
    }
    options.progress?.(++done, images.length);
  }
}

/** The input geometry in `dir`'s config.json, when there is one. */
async function loadInput(dir: string): Promise<InputConfig | undefined> {
  const { readFile } = await import('node:fs/promises');
  try {
    return (JSON.parse(await readFile(join(dir, 'config.json'), 'utf8')) as { input?: InputConfig }).input;
  } catch {
    return undefined;
  }
}
