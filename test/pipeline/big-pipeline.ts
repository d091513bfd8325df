/**
 * A big pipeline for the scale test and bench/pipeline/validate-scale.ts: `vars` many variables of
 * ~90 bytes each (56 000 make 5.09 MB) and 20 shell stages, each using one of them.
 */
export function bigPipeline(vars: number): string {
  const lines = ['vars:'];
  for (let i = 0; i < vars; i++) lines.push(`  v${String(i).padStart(5, '0')}: "value ${i} ${'x'.repeat(66)}"`);
  lines.push('stages:');
  for (let s = 0; s < 20; s++)
    lines.push(
      `  s${s}: { cmd: "echo \${vars.v${String(s * 1000).padStart(5, '0')}} > o${s}.txt", shell: true, outs: [o${s}.txt] }`,
    );
  return `${lines.join('\n')}\n`;
}
