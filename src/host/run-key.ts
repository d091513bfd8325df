/**
 * The key of a run: a hash of the code identity, params and input hashes. Here, in the host, so a
 * stage (`ctx.runKey`) and the runner's cache compute the same key without the host importing the
 * runner.
 */
import { createHash } from 'node:crypto';
import { stableStringify } from '../stable-json.ts';

/**
 * A module stage's code identity: its module hash, combined with the values of the environment
 * variables it declares (`environment`) that are set. None set: the module hash itself.
 */
export function codeWithEnvironment(moduleHash: string, environment: Readonly<Record<string, string>>): string {
  return Object.keys(environment).length
    ? createHash('sha256')
        .update(stableStringify({ code: moduleHash, env: environment }))
        .digest('hex')
    : moduleHash;
}

/**
 * The params that identify a run: `params` less the stage's cache-neutral ones (`cacheNeutral`);
 * `a.b` names key `b` of an object param `a` (train's `distributed.timeout_s`).
 */
export function keyedParams(
  params: Record<string, unknown>,
  cacheNeutral: readonly string[] = [],
): Record<string, unknown> {
  if (!cacheNeutral.length) return params;
  const out = Object.fromEntries(Object.entries(params).filter(([k]) => !cacheNeutral.includes(k)));
  for (const path of cacheNeutral) {
    const dot = path.indexOf('.');
    if (dot < 0) continue;
    const [outer, inner] = [path.slice(0, dot), path.slice(dot + 1)];
    const v = out[outer];
    if (v && typeof v === 'object' && !Array.isArray(v))
      out[outer] = keyedParams(v as Record<string, unknown>, [inner]);
  }
  return out;
}

/** Key of a run: hash of code identity, params and input hashes. */
export function runCacheKey(
  code: string,
  params: Record<string, unknown>,
  inputs: Record<string, string | null>,
): string {
  return createHash('sha256').update(stableStringify({ code, params, inputs })).digest('hex');
}
