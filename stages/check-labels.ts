/**
 * check-labels: checks every line of a label file (image exists, non-empty, decodes; label count
 * and ranges against classes.json; duplicates) and writes clean.txt, rejects.txt, summary.json and
 * images.tsv. Fails only when the reject rate exceeds `max_reject_rate`. Policy per image kind:
 * src/data/check/inspect.ts.
 */
import { defineStage } from '../src/stage/define.ts';
import { checkLabelsOptionsSchema, checkedFolder } from '../src/data/check/options.ts';

export default defineStage({
  name: 'check-labels',
  version: '1',
  description: 'Check a label file against its images and classes; write clean.txt and rejects.txt',
  params: checkLabelsOptionsSchema,
  inputs: (p) => [p.labels, ...(p.classes ? [p.classes] : []), ...(p.root ? [p.root] : [])],
  outputs: (p) => [checkedFolder(p)],
  resources: { cpu: 1 },
  async run(ctx) {
    const { checkLabels } = await import('../src/data/check/check-labels.ts');
    return checkLabels(ctx.params, ctx);
  },
});
