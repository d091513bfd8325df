/**
 * `shell: true` commands: every interpolated value reaches the program as data, whatever shell
 * syntax it holds, in each quoting context of the template; `${raw:x}` splices shell code.
 * Checked by running the interpolated command through /bin/sh.
 */
import { execaSync } from 'execa';
import { existsSync, mkdtempSync, readFileSync } from 'node:fs';
import os from 'node:os';
import path from 'node:path';
import { describe, expect, it } from 'vitest';
import { interpolateShell, quoteWord } from '../../src/pipeline/shell-quote.ts';
import { cli, tempProject } from '../runner/project.ts';

const HOSTILE = [
  'x; touch PWNED',
  '$(touch PWNED)',
  '`touch PWNED`',
  'a && touch PWNED',
  'a || touch PWNED',
  'line1\ntouch PWNED',
  `it's "quoted"`,
  "'; touch PWNED; '",
  '"; touch PWNED; "',
  'back\\slash \\" \\$(touch PWNED)',
  '$HOME ${HOME}',
  '*',
  '',
  '-n',
  'a | touch PWNED > out',
];

function sh(cmd: string, cwd: string): string {
  return execaSync('/bin/sh', ['-c', cmd], { cwd, stripFinalNewline: false }).stdout as string;
}

describe('shell quoting of interpolated values', () => {
  const cwd = mkdtempSync(path.join(os.tmpdir(), 'mlc-shell-'));
  for (const [name, template, expected] of [
    ['outside quotes', "printf '[%s]' ${v}", (v: string) => `[${v}]`],
    ['inside double quotes', `printf '[%s]' "pre \${v} post"`, (v: string) => `[pre ${v} post]`],
    ['inside single quotes', `printf '[%s]' 'pre \${v} post'`, (v: string) => `[pre ${v} post]`],
    ['after an escaped quote', `printf '[%s]' \\"\${v}`, (v: string) => `["${v}]`],
  ] as const) {
    it(`${name}: each value arrives as one argument, byte for byte, and runs nothing`, () => {
      for (const v of HOSTILE) {
        const cmd = interpolateShell(template, { v });
        expect(sh(cmd, cwd), cmd).toBe(expected(v));
        expect(existsSync(path.join(cwd, 'PWNED')), cmd).toBe(false);
      }
    });
  }

  it('plain words stay readable; ${raw:x} splices shell code; $${ is a literal ${', () => {
    expect(quoteWord('data/train.txt')).toBe('data/train.txt');
    expect(quoteWord('--lr=0.01')).toBe('--lr=0.01');
    expect(interpolateShell('python t.py --epochs ${e} --name ${n}', { e: 3, n: 'a b' })).toBe(
      "python t.py --epochs 3 --name 'a b'",
    );
    expect(sh(interpolateShell('${raw:c}', { c: 'echo one; echo two' }), cwd)).toBe('one\ntwo\n');
    expect(interpolateShell('echo $${HOME} ${x}', { x: 1 })).toBe('echo ${HOME} 1');
  });

  it('a list or map inside a command is an error naming the variable', () => {
    expect(() => interpolateShell('echo ${v}', { v: [1, 2] })).toThrow(
      '"${v}" is a list inside a command; only text, numbers and booleans can be spliced',
    );
  });

  it('end to end: -S vars.msg="x; touch PWNED" with shell: true writes the text and runs nothing', async () => {
    const dir = tempProject({
      'p.yaml':
        'vars: { msg: hi, code: "echo raw" }\nstages:\n  c: { cmd: "printf %s ${vars.msg} > out.txt && ${raw:vars.code} > raw.txt", shell: true, outs: [out.txt, raw.txt] }\n',
    });
    const r = await cli(['run', 'p.yaml', '-S', 'vars.msg="x; touch PWNED"'], dir);
    expect(r.code, r.stdout + r.stderr).toBe(0);
    expect(readFileSync(path.join(dir, 'out.txt'), 'utf8')).toBe('x; touch PWNED');
    expect(readFileSync(path.join(dir, 'raw.txt'), 'utf8')).toBe('raw\n');
    expect(existsSync(path.join(dir, 'PWNED'))).toBe(false);
  });
});
