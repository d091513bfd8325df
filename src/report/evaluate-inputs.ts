/** What evaluate reads before the engine starts: the data files, the label file's pre-flight, label ranges. */
import { existsSync } from 'node:fs';
import { readdir, readFile, stat } from 'node:fs/promises';
import { join } from 'node:path';
import { absentFromTrain, fewImages, refuseEmpty } from '../data/check/preflight.ts';
import { maxLabel, readClassesFile, type HeadSpec } from '../data/heads.ts';
import { readLabelFile, type LabelRecord } from '../data/labels.ts';
import type { EntryIO } from '../entry-io.ts';
import { DataError } from '../errors.ts';
import type { EvaluateOptions } from './evaluate-options.ts';

/** The files behind a TFRecord argument: the file itself, or every file under a folder (sorted). */
export async function shardFiles(abs: string): Promise<string[]> {
  if (!(await stat(abs)).isDirectory()) return [abs];
  return (await readdir(abs, { recursive: true, withFileTypes: true }))
    .filter((e) => e.isFile())
    .map((e) => join(e.parentPath, e.name))
    .sort();
}

/** A label file whose every label fits its head (metrics index by class): else a DataError at the line. */
export function checkLabelRanges(file: string, records: LabelRecord[], heads: HeadSpec[]): void {
  for (const r of records) {
    const i = r.labels.findIndex((v, h) => v < -1 || v > maxLabel(heads[h]!));
    if (i >= 0) {
      throw new DataError(
        `label ${r.labels[i]} in column ${i + 1} (head ${heads[i]!.name}) is outside [-1, ${maxLabel(heads[i]!)}]`,
        { file, line: r.line },
        {
          hint: "labels index the model's classes.json (-1 = unknown); run check-labels to list every bad line",
        },
      );
    }
  }
}

/**
 * Pre-flight, before the engine starts: an empty label file is refused (exit 2); classes with
 * fewer than 5 images in the model's train split (config.json `train_data.data`, when it is one
 * label file still there) and classes of this split that train never had are returned as warnings.
 */
export async function preflightEvaluate(
  modelDir: string,
  shown: string,
  labelFile: string,
  io: EntryIO,
): Promise<{ records: LabelRecord[]; warnings: string[] }> {
  const { heads } = await readClassesFile(join(modelDir, 'classes.json'));
  const split = { name: 'evaluated', file: shown, records: await readLabelFile(labelFile, heads.length) };
  refuseEmpty(
    split,
    'if check-labels wrote it, it rejected every line (see rejects.txt beside it); otherwise point `labels` at a split with images',
  );
  const trainFile = await readFile(join(modelDir, 'config.json'), 'utf8').then(
    (t) => (JSON.parse(t) as { train_data?: { data?: string } }).train_data?.data,
    () => undefined,
  );
  if (!trainFile || trainFile.includes(', ') || !/\.txt$/.test(trainFile) || !existsSync(io.path(trainFile)))
    return { records: split.records, warnings: [] };
  const train = { name: 'train', file: trainFile, records: await readLabelFile(io.path(trainFile), heads.length) };
  return { records: split.records, warnings: [...fewImages(heads, train), ...absentFromTrain(heads, train, split)] };
}

/** The data to evaluate on: a label file or TFRecord shards, each checked to exist (as is the tuning file). */
export function evaluationData(
  p: EvaluateOptions,
  io: EntryIO,
): { useRecords: boolean; labelFile?: string; records: string[] } {
  const useRecords = p.tfrecords.length > 0;
  const labelFile = useRecords ? undefined : io.path(p.labels);
  const records = p.tfrecords.map((f) => io.path(f));
  for (const f of [...(labelFile ? [labelFile] : []), ...records, ...(p.tune_labels ? [io.path(p.tune_labels)] : [])]) {
    if (!existsSync(f))
      throw new DataError(
        'no such file or folder to evaluate on',
        { file: f },
        { hint: 'fix the path, or run the stage that writes it first' },
      );
  }
  return { useRecords, labelFile, records };
}
