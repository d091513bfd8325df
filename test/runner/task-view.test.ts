/**
 * The Listr2 task view, rendered deterministically: listr2's `simple` renderer with a logger
 * writing into a buffer, for a run with one stage up to date, one that runs and one that fails.
 */
import path from 'node:path';
import { cleanseAnsi, createWritable, ListrLogger, ProcessOutput } from 'listr2';
import { describe, expect, it } from 'vitest';
import { ListrReporter } from '../../src/runner/render/listr.ts';
import { PlainReporter } from '../../src/runner/render/plain.ts';
import { runPipeline } from '../../src/runner/run.ts';
import { tempProject } from './project.ts';

function capturingReporter(): { reporter: ListrReporter; lines(): string[] } {
  let text = '';
  const sink = createWritable((chunk) => (text += chunk)) as unknown as NodeJS.WriteStream;
  const logger = new ListrLogger({ processOutput: new ProcessOutput(sink, sink), useIcons: true });
  const reporter = new ListrReporter({ renderer: 'simple', rendererOptions: { logger } });
  // Durations are the only non-deterministic text.
  return {
    reporter,
    lines: () =>
      cleanseAnsi(text)
        .replace(/\d+\.\ds\b/g, 'N.Ns')
        .split('\n')
        .filter((l) => l.trim() !== ''),
  };
}

describe('task view (listr2)', () => {
  it('renders skipped, ran and failed stages of a --keep-going run', async () => {
    const dir = tempProject({
      'p.yaml': `stages:
  fresh: { cmd: "echo fresh > fresh.txt", shell: true, outs: [fresh.txt] }
  work: { cmd: "echo work > work.txt", shell: true, outs: [work.txt] }
  broken: { cmd: "exit 3", shell: true, outs: [broken.txt] }
`,
    });
    const file = path.join(dir, 'p.yaml');
    const first = await runPipeline(file, { targets: ['fresh'] });
    expect(first.failed).toEqual([]);

    const view = capturingReporter();
    const r = await runPipeline(file, { reporter: view.reporter, keepGoing: true, jobs: 1 });
    expect(r.failed).toEqual(['broken']);
    // Listr2 starts every task at once (each waits for the runner); the simple renderer logs
    // state changes, not title changes.
    expect(view.lines()).toEqual([
      '❯ fresh',
      '❯ work',
      '❯ broken',
      '↓ fresh [SKIPPED: fresh: up to date]',
      '✔ work N.Ns',
      '✖ broken N.Ns [FAILED: stage broken: command exited with code 3: exit 3]',
    ]);
  });

  it("shows a stage's engine on its line and its warnings on the console (listr and plain)", async () => {
    const dir = tempProject({
      'p.yaml': `stages:
  work: { cmd: "echo 'engine used: native, 2 threads'; echo 'warning: 3 images of class eel'; echo other > work.txt", shell: true, outs: [work.txt] }
`,
    });
    const file = path.join(dir, 'p.yaml');
    const view = capturingReporter();
    const r = await runPipeline(file, { reporter: view.reporter, force: true });
    expect(r.failed).toEqual([]);
    expect(r.warnings).toEqual(['work: 3 images of class eel']);
    expect(view.lines().at(-1)).toBe('✔ work [native, 2 threads] N.Ns');
    const plain: string[] = [];
    await runPipeline(file, {
      reporter: new PlainReporter((l) => plain.push(l.replace(/\d+\.\ds\b/g, 'N.Ns'))),
      force: true,
    });
    expect(plain.slice(1)).toEqual([
      '▶ work: forced',
      '  work [native, 2 threads]',
      '  work: warning: 3 images of class eel',
      '✔ work [native, 2 threads] (N.Ns)',
    ]);
  });
});
