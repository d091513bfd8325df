/**
 * The label-file check's outputs: clean.txt (accepted lines, paths relative to where clean.txt will
 * live), rejects.txt, images.tsv and summary.json with the counts.
 */
import { writeFile } from 'node:fs/promises';
import { isAbsolute, join, relative } from 'node:path';
import type { CheckSummary } from './check-labels.ts';
import type { Probed } from './probe-images.ts';
import { escapeControl, type PendingLine, type Reject } from './screen-lines.ts';

const bump = (m: Record<string, number>, k: string): void => void (m[k] = (m[k] ?? 0) + 1);

/** Accepted lines, the images.tsv rows and the summary, from the probed lines and the rejects (sorted by line). */
function tally(
  total: number,
  pending: readonly PendingLine[],
  probed: Probed,
  rejects: readonly Reject[],
  finalDir: string,
): { summary: CheckSummary; clean: string[]; tsv: string[] } {
  const clean: string[] = [];
  const tsv: string[] = ['line\tpath\tformat\twidth\theight\tchannels\tbits\tnotes'];
  const summary: CheckSummary = {
    total,
    accepted: 0,
    rejected: rejects.length,
    reject_rate: total === 0 ? 0 : rejects.length / total,
    reasons: {},
    formats: {},
    channels: {},
    notes: {},
    width: null,
    height: null,
  };
  pending.forEach((p, k) => {
    const info = probed.infos[k];
    if (!info) return;
    summary.accepted++;
    const copy = probed.reencoded.get(k);
    const path = copy ?? (isAbsolute(p.path) ? p.path : relative(finalDir, p.abs).split('\\').join('/'));
    clean.push(/\s/.test(path) ? `${path}\t${p.labels.join(' ')}` : `${path} ${p.labels.join(' ')}`);
    tsv.push(
      [p.line, path, info.format, info.width, info.height, info.channels, info.bits, info.notes.join(',')].join('\t'),
    );
    bump(summary.formats, info.format);
    bump(summary.channels, String(info.channels));
    for (const n of info.notes)
      bump(summary.notes, n.replace(/\d+ applied$/, 'applied').replace(/^multi-page \(\d+\)/, 'multi-page'));
    summary.width = {
      min: Math.min(summary.width?.min ?? Infinity, info.width),
      max: Math.max(summary.width?.max ?? 0, info.width),
    };
    summary.height = {
      min: Math.min(summary.height?.min ?? Infinity, info.height),
      max: Math.max(summary.height?.max ?? 0, info.height),
    };
  });
  for (const r of rejects) bump(summary.reasons, r.kind);
  return { summary, clean, tsv };
}

/** Writes the four outputs into `outDir`; returns the summary. */
export async function writeCheckOutputs(
  outDir: string,
  finalDir: string,
  total: number,
  pending: readonly PendingLine[],
  probed: Probed,
  rejects: readonly Reject[],
): Promise<CheckSummary> {
  const { summary, clean, tsv } = tally(total, pending, probed, rejects, finalDir);
  const text = (rows: string[]): string => rows.join('\n') + (rows.length ? '\n' : '');
  await writeFile(join(outDir, 'clean.txt'), text(clean));
  await writeFile(
    join(outDir, 'rejects.txt'),
    text(rejects.map((r) => `${r.line}\t${escapeControl(r.reason)}\t${escapeControl(r.original)}`)),
  );
  await writeFile(join(outDir, 'images.tsv'), text(tsv));
  await writeFile(join(outDir, 'summary.json'), JSON.stringify(summary, null, 2) + '\n');
  return summary;
}
