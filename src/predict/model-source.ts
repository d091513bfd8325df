/**
 * What `predict --model` names: a model folder written by train or prune, an export folder
 * written by convert (itself a loadable model folder: model.json, classes.json, config.json), or
 * a `model.onnx` file, run on onnxruntime-node with the classes.json (and config.json, for its
 * input size) beside it. An export folder with no model.json but a model.onnx runs that.
 */
import { existsSync, statSync } from 'node:fs';
import { basename, dirname, join, resolve } from 'node:path';
import { ConfigError } from '../errors.ts';

export type ModelSource = { kind: 'tfjs'; dir: string } | { kind: 'onnx'; file: string; dir: string };

/** Resolves `--model` (as the user wrote it; `abs` resolved); a path that is none of the three is a ConfigError (exit 2). */
export function resolveModelSource(shown: string, abs: string): ModelSource {
  if (!existsSync(abs)) {
    throw new ConfigError(`--model ${shown}: no such file or folder`, {
      hint: 'pass a model folder (models/<run>), an export folder (exports/<run>) or a model.onnx file',
    });
  }
  if (statSync(abs).isFile()) {
    if (!abs.toLowerCase().endsWith('.onnx')) {
      throw new ConfigError(`--model ${shown}: a file that is not an .onnx model`, {
        hint:
          basename(abs) === 'model.json'
            ? `pass its folder: --model ${dirname(shown)}`
            : 'pass a model folder, an export folder or a model.onnx file',
      });
    }
    if (!existsSync(join(dirname(abs), 'classes.json'))) {
      throw new ConfigError(`--model ${shown}: no classes.json beside it`, {
        hint: 'keep model.onnx in its export folder (convert writes classes.json and config.json beside it)',
      });
    }
    return { kind: 'onnx', file: abs, dir: dirname(abs) };
  }
  if (existsSync(join(abs, 'model.json'))) return { kind: 'tfjs', dir: abs };
  if (existsSync(join(abs, 'model.onnx')))
    return resolveModelSource(join(shown, 'model.onnx'), join(abs, 'model.onnx'));
  throw new ConfigError(`--model ${shown}: neither a model folder (model.json) nor an export folder (model.onnx)`, {
    hint: 'pass the folder train, prune or convert wrote, or a model.onnx file',
  });
}

/** The heads of the model `--model` names (its classes.json). */
export async function readClassesFor(model: string): Promise<Array<{ name: string; classes: string[] }>> {
  const { readClassesFile } = await import('../data/heads.ts');
  return (await readClassesFile(join(resolveModelSource(model, resolve(model)).dir, 'classes.json'))).heads;
}
