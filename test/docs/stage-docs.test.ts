import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  formatReadmeStageSection,
  formatStageDocsMarkdown,
  spliceReadmeStageSection,
  stageDocs,
} from '../../src/cli/stage-docs.ts';
import { resolveAugment } from '../../src/data/image/augment.ts';

const read = (rel: string): string => readFileSync(new URL(`../../${rel}`, import.meta.url), 'utf8');

describe('generated stage reference', () => {
  it("docs/stages.md and the README section match the stages' params schemas (run npx tsx scripts/gen-stage-docs.ts)", async () => {
    const docs = await stageDocs();
    expect(docs.map((d) => d.error).filter(Boolean)).toEqual([]);
    expect(read('docs/stages.md')).toBe(formatStageDocsMarkdown(docs));
    const readme = read('README.md');
    expect(readme).toBe(spliceReadmeStageSection(readme, formatReadmeStageSection(docs)));
    // the keys of object params are documented too: every AugmentOptions key of the train stage
    const train = docs.find((d) => d.name === 'train')!;
    expect(train.params.filter((p) => p.name.startsWith('augment.')).map((p) => p.name)).toEqual(
      Object.keys(resolveAugment()).map((k) => `augment.${k}`), // the loader's options, none left out
    );
    expect(readme).toContain('| `augment.brightness` | number | `0.2` |');
    // Every built-in stage has a section and every param a "Defaults to …" description.
    for (const d of docs) {
      expect(readme).toContain(`### ${d.name}\n`);
      for (const p of d.params) expect(p.description, `${d.name}.${p.name}`).toMatch(/Defaults to .+\.?$/);
    }
  });

  it('splicing replaces only the text between the markers', () => {
    const text = 'a\n<!-- stages:start -->\nold\n<!-- stages:end -->\nb\n';
    expect(spliceReadmeStageSection(text, 'new')).toBe('a\n<!-- stages:start -->\nnew\n<!-- stages:end -->\nb\n');
    expect(() => spliceReadmeStageSection('no markers', 'x')).toThrow('README.md needs the markers');
  });
});
