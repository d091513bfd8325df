/**
 * Test helper: opens an HTML file in headless Chromium (Debian's /usr/bin/chromium), takes a
 * screenshot, and returns the page's console messages (Chromium logs them to stderr as
 * `INFO:CONSOLE` lines with --enable-logging=stderr).
 */
import { existsSync } from 'node:fs';
import { mkdtemp, rm } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { execa } from 'execa';

export const CHROMIUM = process.env.CHROMIUM ?? '/usr/bin/chromium';
export const chromiumMissing = !existsSync(CHROMIUM);

export interface BrowserRun {
  /** Console lines of the page (any output counts: the report has no logging of its own). */
  console: string[];
  stderr: string;
}

export async function screenshot(htmlFile: string, pngFile: string, size = '1280,2400'): Promise<BrowserRun> {
  const profile = await mkdtemp(join(tmpdir(), 'mlc-chromium-'));
  try {
    const r = await execa(
      CHROMIUM,
      [
        '--headless',
        '--no-sandbox',
        '--disable-gpu',
        '--disable-background-networking',
        '--disable-component-update',
        '--disable-sync',
        '--no-first-run',
        `--user-data-dir=${profile}`,
        '--enable-logging=stderr',
        '--v=0',
        `--window-size=${size}`,
        `--screenshot=${pngFile}`,
        pathToFileURL(htmlFile).href,
      ],
      { timeout: 90_000, reject: false },
    );
    if (r.exitCode !== 0) throw new Error(`chromium exited with ${r.exitCode}: ${r.stderr.slice(-2000)}`);
    const lines = r.stderr.split('\n');
    return { console: lines.filter((l) => /:CONSOLE[:(]|Uncaught/.test(l)), stderr: r.stderr };
  } finally {
    await rm(profile, { recursive: true, force: true });
  }
}
