/**
 * Latency on this machine, kept out of the hashed report. A timing is not a function of the model,
 * data, params and code, so it cannot be in report.html (a hashed output: a forced rerun must write
 * the same bytes, test/runner/reproducible-outputs.test.ts). Evaluate measures it after writing the
 * report and writes it to a sidecar BESIDE the report folder, `<out>.latency.js` (e.g.
 * reports/quickstart.latency.js), which no stage declares: it is not hashed, cached or restored.
 * The report's "model" section names the sidecar and loads it when the page is opened (a
 * `<script src>`, which works from file:// where fetch does not). The sidecar records the model's
 * sha256, so a page whose model changed since (or restored from the run-cache without a new
 * measurement) says the timing is of another model instead of showing it.
 */
import { mkdir, rename, writeFile } from 'node:fs/promises';
import os from 'node:os';
import { basename, dirname, join } from 'node:path';

/** What the sidecar holds (the argument of its `mlcLatency(...)` call). */
export interface LatencyRecord {
  /** The model folder as the evaluation names it. */
  model: string;
  /** run.json's `model sha256` of the measured model. */
  'model sha256': string;
  batch_size: number;
  /** Timed passes; `median_ms` is their median. */
  runs: number;
  median_ms: number;
  /** The tfjs backend and engine details (threads) it ran on. */
  engine: string;
  host: string;
  cpu: string;
  /** ISO time of the measurement. */
  measured_at: string;
}

/** Where the report folder `out` (any path form) keeps its latency sidecar: `<out>.latency.js` beside it. */
export function latencySidecarPath(out: string): string {
  const trimmed = out.replace(/[/\\]+$/, '');
  return join(dirname(trimmed), `${basename(trimmed)}.latency.js`);
}

/** The sidecar's URL relative to report.html inside folder `out`. */
export function latencySidecarHref(out: string): string {
  return `../${encodeURIComponent(basename(out.replace(/[/\\]+$/, '')))}.latency.js`;
}

/** The sidecar's text: a comment and one `mlcLatency({...});` call (JSON inside, `<` escaped). */
export function latencySidecarText(r: LatencyRecord): string {
  return [
    '// mlc-pipe evaluate: inference latency of the evaluated model on the machine that ran it.',
    '// Not a hashed output (a timing is not a function of the inputs); report.html loads it when opened.',
    `mlcLatency(${JSON.stringify(r, null, 2).replace(/</g, '\\u003c')});`,
    '',
  ].join('\n');
}

/** The record of a measurement made now on this machine. */
export function latencyRecord(
  fields: Pick<LatencyRecord, 'model' | 'model sha256' | 'batch_size' | 'runs' | 'median_ms' | 'engine'>,
): LatencyRecord {
  return {
    ...fields,
    median_ms: Math.round(fields.median_ms * 1000) / 1000,
    host: os.hostname(),
    cpu: os.cpus()[0]?.model ?? 'unknown',
    measured_at: new Date().toISOString(),
  };
}

/** Writes the sidecar atomically (a temp file renamed into place). */
export async function writeLatencySidecar(file: string, r: LatencyRecord): Promise<void> {
  const tmp = `${file}.${process.pid}.tmp`;
  await mkdir(dirname(file), { recursive: true });
  await writeFile(tmp, latencySidecarText(r));
  await rename(tmp, file);
}

/**
 * The page's side (inline, before the sidecar's `<script src>`): `mlcLatency` fills the cell
 * `#latency` when the record is of `sha` (the page's model), else says whose it is; a missing
 * sidecar leaves the cell's text (not measured) as rendered. Text only, never HTML.
 */
export function latencyPageScript(sha: string): string {
  return `function mlcLatency(m){var c=document.getElementById('latency');if(!c||!m)return;
if(m['model sha256']!==${JSON.stringify(sha)}){c.textContent='not shown: the sidecar holds a measurement of another model (sha256 '+String(m['model sha256']).slice(0,12)+'…, '+m.measured_at+'); rerun evaluate to measure this one';c.className='l none';return;}
c.textContent=Number(m.median_ms).toFixed(2)+' ms per batch of '+m.batch_size+' (median of '+m.runs+' passes; '+m.engine+'; '+m.cpu+', host '+m.host+', '+m.measured_at+')';c.className='l';}`;
}
