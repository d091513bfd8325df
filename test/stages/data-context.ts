/** A minimal StageContext for calling data stages directly in tests (outputs written in place). */
import { isAbsolute, join } from 'node:path';
import { Value } from '@sinclair/typebox/value';
import type { TObject } from '@sinclair/typebox';
import type { StageContext, StageSpec } from '../../src/stage/define.ts';

export interface TestContext<P> extends StageContext<P> {
  logs: string[];
}

/** Applies the schema defaults to `params`, checks them, and builds a context rooted at `cwd`. */
export function stageContext<S extends TObject>(
  stage: StageSpec<S>,
  cwd: string,
  params: Record<string, unknown>,
): TestContext<any> {
  const withDefaults = Value.Default(stage.params, structuredClone(params));
  if (!Value.Check(stage.params, withDefaults)) {
    throw new Error(
      `bad params: ${[...Value.Errors(stage.params, withDefaults)].map((e) => `${e.path} ${e.message}`).join('; ')}`,
    );
  }
  const logs: string[] = [];
  const abs = (p: string): string => (isAbsolute(p) ? p : join(cwd, p));
  return {
    id: stage.name,
    params: withDefaults,
    cwd,
    out: abs,
    path: abs,
    log: (m) => void logs.push(m),
    progress: () => {},
    signal: new AbortController().signal,
    logs,
  };
}
