/**
 * Writes the environment-variable table of docs/cli.md (between `<!-- environment:start -->` and
 * `<!-- environment:end -->`) from src/environment.ts.
 *
 *   npx tsx scripts/gen-env-docs.ts          # write it
 *   npx tsx scripts/gen-env-docs.ts --check  # exit 1 if it is out of date
 */
import { readFileSync, writeFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { spliceEnvironmentTable } from '../src/environment.ts';

const file = fileURLToPath(new URL('../docs/cli.md', import.meta.url));
const text = readFileSync(file, 'utf8');
const fresh = spliceEnvironmentTable(text);
if (process.argv.includes('--check')) {
  if (fresh !== text) {
    process.stderr.write(`out of date: ${file}: run npx tsx scripts/gen-env-docs.ts\n`);
    process.exit(1);
  }
} else {
  writeFileSync(file, fresh);
  process.stdout.write(`wrote ${file}\n`);
}
