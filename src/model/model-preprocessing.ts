/**
 * A model folder's preprocessing (src/data/image/preprocessing.ts) as config.json holds it: the
 * `preprocessing` record when present (validated), else the record that reproduces what a folder
 * written before it meant (`input` only; see the legacy reading documented there). `input` is then
 * rewritten from the record, so the record is the one source every reader follows.
 */
import { DataError } from '../errors.ts';
import {
  preprocessingChoice,
  preprocessingProblem,
  preprocessingRecord,
  type Preprocessing,
} from '../data/image/preprocessing.ts';
import type { TrainedModelConfig } from './io.ts';

/** Fills `config.preprocessing` (and `config.input` from it) in place; `file` names config.json in errors. */
export function resolveModelPreprocessing(config: TrainedModelConfig, file: string): Preprocessing {
  let pre = config.preprocessing as Preprocessing | undefined;
  if (pre === undefined) {
    const i = config.input;
    pre = preprocessingRecord({
      height: i.height,
      width: i.width,
      channels: i.channels ?? 3,
      channelOrder: i.channelOrder ?? 'rgb',
      whiten: i.whiten ?? true,
    });
  } else {
    const problem = preprocessingProblem(pre);
    if (problem)
      throw new DataError(
        problem,
        { file },
        {
          hint: 'config.json was written by another mlc-pipe version or edited by hand; retrain, or fix the record (see src/data/image/preprocessing.ts)',
        },
      );
  }
  config.preprocessing = pre;
  config.input = preprocessingChoice(pre);
  return pre;
}
