/**
 * Writes docs/stages.md and the README's stage reference (between `<!-- stages:start -->` and
 * `<!-- stages:end -->`) from the built-in stages' params schemas (the same text as
 * `mlc-pipe stages --markdown`).
 *
 *   npx tsx scripts/gen-stage-docs.ts          # write both
 *   npx tsx scripts/gen-stage-docs.ts --check  # exit 1 if either is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import {
  formatReadmeStageSection,
  formatStageDocsMarkdown,
  spliceReadmeStageSection,
  stageDocs,
} from '../src/cli/stage-docs.ts';

const docsFile = fileURLToPath(new URL('../docs/stages.md', import.meta.url));
const readmeFile = fileURLToPath(new URL('../README.md', import.meta.url));
const docs = await stageDocs();
const read = (f: string): string => {
  try {
    return readFileSync(f, 'utf8');
  } catch {
    return ''; // missing counts as out of date
  }
};
const targets: [string, string][] = [
  [docsFile, formatStageDocsMarkdown(docs)],
  [readmeFile, spliceReadmeStageSection(read(readmeFile), formatReadmeStageSection(docs))],
];
if (process.argv.includes('--check')) {
  const stale = targets.filter(([f, text]) => read(f) !== text).map(([f]) => f);
  if (stale.length) {
    process.stderr.write(`out of date: ${stale.join(', ')}: run npx tsx scripts/gen-stage-docs.ts\n`);
    process.exit(1);
  }
} else {
  for (const [f, text] of targets) {
    writeFileSync(f, text);
    process.stdout.write(`wrote ${f}\n`);
  }
}
