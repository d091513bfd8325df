import { readFileSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
import {
  formatReadmeStageSection,
  formatStageDocsMarkdown,
  spliceReadmeStageSection,
  stageDocs,
} from '../../src/cli/stage-docs.ts';

const read = (rel: string): string => readFileSync(new URL(`../../${rel}`, import.meta.url), 'utf8');

describe('generated stage reference', () => {
  it('docs/stages.md and the README section match the stages\' params schemas (run npx tsx scripts/gen-stage-docs.ts)', async () => {
    const docs = await stageDocs();
    expect(docs.map((d) => d.error).filter(Boolean)).toEqual([]);
    expect(read('docs/stages.md')).toBe(formatStageDocsMarkdown(docs));
    const readme = read('README.md');
    expect(readme).toBe(spliceReadmeStageSection(readme, formatReadmeStageSection(docs)));
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
