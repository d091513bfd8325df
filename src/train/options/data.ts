/** The train options' data files: label files or TFRecords, image root, classes.json. */
import { Type } from '@sinclair/typebox';

/** Label files or TFRecords of train and val, image root, classes.json. */
export const dataOptions = {
  train_labels: Type.String({
    description:
      "Training label file. Defaults to data/clean/train/clean.txt (check-labels' output for data/dataset/train.txt).",
    default: 'data/clean/train/clean.txt',
  }),
  val_labels: Type.String({
    description:
      "Validation label file; '' = no validation. Defaults to data/clean/val/clean.txt (check-labels' output for data/dataset/val.txt).",
    default: 'data/clean/val/clean.txt',
  }),
  train_tfrecords: Type.Array(Type.String(), {
    description:
      'TFRecord shards (or write-tfrecord output folders) to train on instead of `train_labels`. Defaults to [].',
    default: [],
  }),
  val_tfrecords: Type.Array(Type.String(), {
    description: 'TFRecord shards (or folders of shards) to validate on instead of `val_labels`. Defaults to [].',
    default: [],
  }),
  root: Type.String({
    description: "Image root for relative paths in the label files; '' = each label file's folder. Defaults to ''.",
    default: '',
  }),
  classes: Type.String({
    description: "classes.json with the heads. Defaults to data/dataset/classes.json (generate-txt's).",
    default: 'data/dataset/classes.json',
  }),
};
