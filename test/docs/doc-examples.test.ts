/**
 * Every ```yaml block of README.md and docs/*.md is a pipeline that validates, plans (`run
 * --dry-run`) and draws (`dag`); the README's shell examples that are cheap run too. A block is
 * checked inside a copy of examples/custom-stage (so `uses: ./stages/word-count.ts` resolves),
 * at `pipelines/` when it says `wdir: ..`.
 */
import { cpSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, rmSync, symlinkSync, writeFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { runMain } from '../cli/run-main.ts';

const REPO = path.resolve(import.meta.dirname, '../..');
const DOCS = [
  'README.md',
  ...readdirSync(path.join(REPO, 'docs'))
    .filter((f) => f.endsWith('.md'))
    .map((f) => `docs/${f}`),
];

/** The yaml blocks of a markdown file with their line numbers. */
export function yamlBlocks(markdown: string): Array<{ line: number; text: string }> {
  const out: Array<{ line: number; text: string }> = [];
  const re = /^```ya?ml\n([\s\S]*?)^```$/gm;
  for (let m = re.exec(markdown); m; m = re.exec(markdown))
    out.push({ line: markdown.slice(0, m.index).split('\n').length, text: m[1]! });
  return out;
}

const cli = runMain;

function project(): string {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'mlc-doc-'));
  cpSync(path.join(REPO, 'examples', 'custom-stage'), dir, { recursive: true });
  // Only its stage modules and text: its own pipeline.yaml beside doc.yaml would declare the same
  // outputs, which two pipeline files in one folder may not (src/pipeline/output-owners.ts).
  rmSync(path.join(dir, 'pipeline.yaml'));
  writeFileSync(path.join(dir, 'package.json'), '{ "type": "module" }\n');
  mkdirSync(path.join(dir, 'node_modules'));
  symlinkSync(REPO, path.join(dir, 'node_modules', 'mlc-pipe'));
  mkdirSync(path.join(dir, 'pipelines'));
  return dir;
}

describe('documentation examples', () => {
  const blocks = DOCS.flatMap((doc) =>
    yamlBlocks(readFileSync(path.join(REPO, doc), 'utf8')).map((b) => ({ doc, ...b })),
  );

  it('finds the yaml blocks (README and docs/yaml.md have several)', () => {
    expect(blocks.filter((b) => b.doc === 'README.md').length).toBeGreaterThanOrEqual(1);
    expect(blocks.filter((b) => b.doc === 'docs/yaml.md').length).toBeGreaterThanOrEqual(4);
    expect(yamlBlocks('a\n```yaml\nx: 1\n```\n```sh\nls\n```\n')).toEqual([{ line: 2, text: 'x: 1\n' }]);
  });

  it.each(blocks.map((b) => [`${b.doc}:${b.line}`, b] as const))('%s validates, plans and draws', async (_, b) => {
    const dir = project();
    const file = path.join(dir, /^wdir: \.\./m.test(b.text) ? 'pipelines' : '', 'doc.yaml');
    writeFileSync(file, b.text);
    // The examples read the user's data: give each input that no stage writes an empty stand-in
    // (validate reports such inputs, test/pipeline/validate.test.ts).
    const first = await cli('validate', file);
    for (const m of first.err.matchAll(/input "([^"]+)" of stage "[^"]+" does not exist and no stage writes it/g)) {
      const input = path.join(dir, m[1]!); // the working folder: the file's own, or wdir: .. from pipelines/
      mkdirSync(path.dirname(input), { recursive: true });
      writeFileSync(input, '');
    }
    const v = await cli('validate', file);
    expect(v.err, `${b.doc}:${b.line}`).toBe('');
    expect(v.code).toBe(0);
    const plan = await cli('run', file, '--dry-run');
    expect(plan.code, plan.err).toBe(0);
    expect((await cli('dag', file)).code).toBe(0);
  });

  it('the README pipeline: every stage that reads the dataset hangs under make-data in the dag', async () => {
    const b = blocks.find((x) => x.doc === 'README.md')!;
    const dir = project();
    const file = path.join(dir, 'pipelines', 'demo.yaml');
    writeFileSync(file, b.text);
    const dag = (await cli('dag', file)).out.trim().split('\n');
    expect(dag[0]).toBe('make-data [make-dataset]');
    expect(dag.slice(1).every((l) => l.startsWith('  └─ ') && l.includes('← make-data'))).toBe(true);
    expect(dag.map((l) => l.trim().split(' ')[1] ?? l)).toHaveLength(7);
  });

  it('the README quickstart commands that are cheap run: status with an override, dag --format mermaid', async () => {
    const st = await cli('status', path.join(REPO, 'pipelines/quickstart.yaml'), '-S', 'vars.epochs=10');
    expect(st.code, st.err).toBe(0);
    expect(st.out).toMatch(/train/);
    const dag = await cli('dag', path.join(REPO, 'pipelines/quickstart.yaml'), '--format', 'mermaid');
    expect(dag.out.startsWith('flowchart TD')).toBe(true);
  });
});
