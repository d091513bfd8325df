/**
 * generate-txt: scans a dataset (class folders, file-name regex, per-character file names, or a
 * CSV/JSONL manifest) and writes train.txt / val.txt / test.txt (seeded stratified split),
 * classes.json, counts.json and skipped.txt (files that could not be labelled, with the reason).
 * See src/data/generate/sources.ts for each source's rules.
 */
import { defineStage } from '../src/stage/define.ts';
import { generateTxtOptionsSchema } from '../src/data/generate/options.ts';

export default defineStage({
  name: 'generate-txt',
  version: '1',
  description: 'Scan images into train/val/test label files, classes.json and counts.json',
  params: generateTxtOptionsSchema,
  inputs: (p) =>
    p.source === 'manifest' ? [p.manifest ?? 'manifest.csv', ...(p.root ? [p.root] : [])] : [p.root ?? 'images'],
  outputs: (p) => [p.out],
  resources: { cpu: 1 },
  async run(ctx) {
    const { generateTxt } = await import('../src/data/generate/generate-txt.ts');
    return generateTxt(ctx.params, ctx);
  },
});
