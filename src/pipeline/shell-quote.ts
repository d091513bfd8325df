/**
 * `${…}` interpolation into a command that runs through a shell (`shell: true`). Every value is
 * quoted for the place it lands in, so it is always data, never shell syntax:
 *
 * - outside quotes: one single-quoted word (`x; touch P` → `'x; touch P'`; plain words such as
 *   `3`, `data/train.txt` or `--lr=0.1` stay as they are);
 * - inside '…': each `'` becomes `'\''`;
 * - inside "…": `\`, `"`, `$` and backticks are backslash-escaped.
 *
 * `${raw:name}` splices the value unquoted, for when the value is meant as shell code (a whole
 * command line from vars). POSIX sh rules, which `/bin/sh`, bash and zsh share.
 */
import { InterpolationError, lookupVar } from './interpolate.ts';

type State = 'plain' | 'single' | 'double';

const SAFE = /^[A-Za-z0-9_@%+=:,./-]+$/;

/** `v` as one shell word. */
export function quoteWord(v: string): string {
  return SAFE.test(v) ? v : `'${v.replace(/'/g, `'\\''`)}'`;
}

function quoteIn(state: State, v: string): string {
  if (state === 'single') return v.replace(/'/g, `'\\''`);
  if (state === 'double') return v.replace(/[\\"$`]/g, '\\$&');
  return quoteWord(v);
}

/** Quote state after the literal text `s`, starting in `state`. */
function advance(state: State, s: string): State {
  for (let i = 0; i < s.length; i++) {
    const c = s[i];
    if (state === 'single') {
      if (c === "'") state = 'plain';
    } else if (c === '\\') i++;
    else if (state === 'double') {
      if (c === '"') state = 'plain';
    } else if (c === "'") state = 'single';
    else if (c === '"') state = 'double';
  }
  return state;
}

const REF = /\$\$\{|\$\{([^}]*)\}/g;

/** Interpolates a shell command line, quoting each value for its position (see the module doc). */
export function interpolateShell(s: string, ctx: Record<string, unknown>): string {
  let out = '';
  let state: State = 'plain';
  let last = 0;
  for (const m of s.matchAll(REF)) {
    const lit = s.slice(last, m.index);
    out += lit;
    state = advance(state, lit);
    last = m.index + m[0].length;
    if (m[0] === '$${') {
      out += '${';
      continue;
    }
    const expr = m[1]!.trim();
    const raw = expr.startsWith('raw:');
    const v = lookupVar(ctx, raw ? expr.slice(4) : expr);
    if (v !== null && typeof v === 'object') {
      throw new InterpolationError(
        `"\${${expr}}" is ${Array.isArray(v) ? 'a list' : 'a map'} inside a command; only text, numbers and booleans can be spliced`,
      );
    }
    const text = String(v);
    if (raw) {
      out += text;
      state = advance(state, text);
    } else out += quoteIn(state, text);
  }
  return out + s.slice(last);
}
