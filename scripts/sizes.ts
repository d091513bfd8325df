/**
 * Lists the TypeScript files over a line limit and the functions over another, the size rule of #25's
 * "done when" (no file over ~300 lines, no function over ~80).
 *
 *   npx tsx scripts/sizes.ts                          # src/ and stages/, limits 300 and 80
 *   npx tsx scripts/sizes.ts src/report src/export    # only these folders (or files)
 *   npx tsx scripts/sizes.ts --file 400 --function 60 # other limits
 *   npx tsx scripts/sizes.ts --check                  # exit 1 when anything is over
 *
 * A file's size is its line count. A function's size counts the lines from its first token (its name,
 * `async` or `function`) to its closing brace: declarations, methods, accessors, constructors, function
 * expressions and arrows all count, and a function nested inside another counts for both.
 */
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { join, relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import ts from 'typescript';

/** One thing over its limit: a file (`name` undefined) or a function in it. */
export interface Oversize {
  file: string;
  line: number;
  lines: number;
  name?: string;
}

/** The limits and what to scan. */
export interface SizeOptions {
  fileLimit: number;
  functionLimit: number;
}

const root = fileURLToPath(new URL('..', import.meta.url));

function listTs(path: string): string[] {
  if (statSync(path).isFile()) return /\.m?ts$/.test(path) && !path.endsWith('.d.ts') ? [path] : [];
  return readdirSync(path)
    .filter((name) => name !== 'node_modules')
    .sort()
    .flatMap((name) => listTs(join(path, name)));
}

function functionName(node: ts.FunctionLikeDeclaration, source: ts.SourceFile): string {
  if (node.name) return node.name.getText(source);
  const parent = node.parent;
  if (ts.isVariableDeclaration(parent) || ts.isPropertyAssignment(parent) || ts.isPropertyDeclaration(parent)) {
    return parent.name.getText(source);
  }
  if (ts.isCallExpression(parent)) return `(callback of ${parent.expression.getText(source).slice(0, 40)})`;
  return '(anonymous)';
}

function isFunctionWithBody(node: ts.Node): node is ts.FunctionLikeDeclaration {
  return (
    (ts.isFunctionDeclaration(node) ||
      ts.isMethodDeclaration(node) ||
      ts.isConstructorDeclaration(node) ||
      ts.isGetAccessorDeclaration(node) ||
      ts.isSetAccessorDeclaration(node) ||
      ts.isFunctionExpression(node) ||
      ts.isArrowFunction(node)) &&
    node.body !== undefined
  );
}

/** The files and functions in `file` over the limits. */
export function measureFile(file: string, options: SizeOptions): Oversize[] {
  const text = readFileSync(file, 'utf8');
  const shown = relative(root, file);
  const found: Oversize[] = [];
  const lineCount = text.endsWith('\n') ? text.split('\n').length - 1 : text.split('\n').length;
  if (lineCount > options.fileLimit) found.push({ file: shown, line: 1, lines: lineCount });
  const source = ts.createSourceFile(file, text, ts.ScriptTarget.Latest, true);
  const visit = (node: ts.Node): void => {
    if (isFunctionWithBody(node)) {
      const start = source.getLineAndCharacterOfPosition(node.getStart(source)).line;
      const end = source.getLineAndCharacterOfPosition(node.getEnd()).line;
      const lines = end - start + 1;
      if (lines > options.functionLimit) {
        found.push({ file: shown, line: start + 1, lines, name: functionName(node, source) });
      }
    }
    ts.forEachChild(node, visit);
  };
  visit(source);
  return found;
}

function main(argv: string[]): number {
  const options: SizeOptions = { fileLimit: 300, functionLimit: 80 };
  const paths: string[] = [];
  let check = false;
  for (let i = 0; i < argv.length; i++) {
    const arg = argv[i]!;
    if (arg === '--check') check = true;
    else if (arg === '--file') options.fileLimit = Number(argv[++i]);
    else if (arg === '--function') options.functionLimit = Number(argv[++i]);
    else paths.push(arg);
  }
  if (!Number.isInteger(options.fileLimit) || !Number.isInteger(options.functionLimit)) {
    process.stderr.write('usage: sizes.ts [--check] [--file N] [--function N] [path ...]\n');
    return 2;
  }
  const files = (paths.length > 0 ? paths : ['src', 'stages']).flatMap((p) => listTs(join(root, p)));
  const found = files.flatMap((file) => measureFile(file, options));
  const overFiles = found.filter((f) => f.name === undefined).sort((a, b) => b.lines - a.lines);
  const overFunctions = found.filter((f) => f.name !== undefined).sort((a, b) => b.lines - a.lines);
  const out: string[] = [`files over ${options.fileLimit} lines: ${overFiles.length}`];
  for (const f of overFiles) out.push(`  ${String(f.lines).padStart(5)}  ${f.file}`);
  out.push(`functions over ${options.functionLimit} lines: ${overFunctions.length}`);
  for (const f of overFunctions) out.push(`  ${String(f.lines).padStart(5)}  ${f.file}:${f.line} ${f.name}`);
  process.stdout.write(out.join('\n') + '\n');
  return check && found.length > 0 ? 1 : 0;
}

if (process.argv[1] && fileURLToPath(import.meta.url) === process.argv[1])
  process.exitCode = main(process.argv.slice(2));
