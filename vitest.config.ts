import { defineConfig } from 'vitest/config';

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    // Two forks share the 2 cores: one intra-op thread each for the native engine (and the stages the
    // tests spawn, which inherit it), so OpenMP teams do not oversubscribe the machine.
    env: { MLC_PIPE_THREADS: '1' },
    poolOptions: { forks: { maxForks: 2, minForks: 1 } },
    testTimeout: 120_000,
    hookTimeout: 120_000,
    // The JSON report lets .ci/run print a plain 'N passed, N failed' closing line.
    reporters: ['default', ['json', { outputFile: '.vitest-report.json' }]],
  },
});
