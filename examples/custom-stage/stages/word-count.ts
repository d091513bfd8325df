/**
 * A custom TypeScript stage: counts words in text files and writes a JSON summary.
 * Loaded straight from the YAML (`uses: ./stages/word-count.ts`), no build step.
 * Its code identity includes ../lib/tokenize.ts, so editing the tokenizer reruns this stage.
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { defineStage, Type } from 'mlc-pipe/stage';
import { tokenize } from '../lib/tokenize.ts';

export default defineStage({
  name: 'word-count',
  version: '1',
  description: 'Count words in text files',
  params: Type.Object(
    {
      inputs: Type.Array(Type.String(), { minItems: 1, description: 'Text files to read (relative to the pipeline).' }),
      out: Type.String({ default: 'out/counts.json', description: 'JSON output. Defaults to out/counts.json.' }),
      minLength: Type.Integer({ minimum: 1, default: 1, description: 'Ignore shorter words. Defaults to 1.' }),
      top: Type.Integer({ minimum: 1, default: 5, description: 'How many of the most frequent words to keep. Defaults to 5.' }),
    },
    { additionalProperties: false },
  ),
  inputs: (p) => p.inputs,
  outputs: (p) => [p.out],
  async run(ctx) {
    const counts = new Map<string, number>();
    for (const file of ctx.params.inputs) {
      for (const w of tokenize(readFileSync(ctx.path(file), 'utf8'))) {
        if (w.length >= ctx.params.minLength) counts.set(w, (counts.get(w) ?? 0) + 1);
      }
      ctx.progress(`read ${file}`);
    }
    const top = [...counts.entries()].sort((a, b) => b[1] - a[1] || (a[0] < b[0] ? -1 : 1)).slice(0, ctx.params.top);
    const total = [...counts.values()].reduce((a, b) => a + b, 0);
    writeFileSync(ctx.out(ctx.params.out), `${JSON.stringify({ total, distinct: counts.size, top }, null, 2)}\n`);
    ctx.log(`${total} words, ${counts.size} distinct`);
    return { metrics: { total, distinct: counts.size } };
  },
});
