/**
 * `mlc-pipe stages [name]`: the built-in stages with their params, defaults and descriptions.
 */
import type { Command } from 'commander';
import { ConfigError } from '../../errors.ts';
import type { CliIO } from '../io.ts';

export function registerStages(program: Command, io: CliIO): void {
  program
    .command('stages')
    .description('list built-in stages with their params, defaults and descriptions')
    .argument('[name]', 'only this stage')
    .option('--markdown', 'print Markdown (as in docs/stages.md)')
    .option('--json', 'print JSON')
    .action(async (name: string | undefined, flags: { markdown?: boolean; json?: boolean }) => {
      const { builtinStageNames } = await import('../../../stages/registry.ts');
      if (name !== undefined && !builtinStageNames().includes(name)) {
        const { didYouMean } = await import('../../suggest.ts');
        throw new ConfigError(`unknown stage "${name}"`, {
          hint: didYouMean(name, builtinStageNames()) ?? `built-ins: ${builtinStageNames().join(', ')}`,
        });
      }
      const { stageDocs, formatStageDocsMarkdown, formatStageDocsText } = await import('../stage-docs.ts');
      const docs = await stageDocs(name);
      io.out(
        flags.json
          ? JSON.stringify(docs, null, 2)
          : flags.markdown
            ? formatStageDocsMarkdown(docs)
            : formatStageDocsText(docs),
      );
    });
}
