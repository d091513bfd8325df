/**
 * Writes docs/stages.md from the built-in stages' params schemas (the same text as
 * `mlc-pipe stages --markdown`).
 *
 *   npx tsx scripts/gen-stage-docs.ts          # write docs/stages.md
 *   npx tsx scripts/gen-stage-docs.ts --check  # exit 1 if docs/stages.md is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { formatStageDocsMarkdown, stageDocs } from '../src/cli/stage-docs.ts';

const target = fileURLToPath(new URL('../docs/stages.md', import.meta.url));
const text = formatStageDocsMarkdown(await stageDocs());
if (process.argv.includes('--check')) {
  let current = '';
  try {
    current = readFileSync(target, 'utf8');
  } catch {
    // missing counts as out of date
  }
  if (current !== text) {
    process.stderr.write('docs/stages.md is out of date: run npx tsx scripts/gen-stage-docs.ts\n');
    process.exit(1);
  }
} else {
  writeFileSync(target, text);
  process.stdout.write(`wrote ${target}\n`);
}
