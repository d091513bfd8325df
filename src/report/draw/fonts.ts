/** Whether fontconfig knows a font for Chinese text (class names such as the seed's provinces). */

let cached: Promise<boolean> | undefined;

/** True when `fc-list :lang=zh` lists a font; false when it lists none or cannot run. */
export function cjkFontAvailable(): Promise<boolean> {
  cached ??= (async () => {
    try {
      const { execa } = await import('execa');
      const { stdout } = await execa('fc-list', [':lang=zh', 'family'], { timeout: 10_000 });
      return stdout.trim() !== '';
    } catch {
      return false;
    }
  })();
  return cached;
}
