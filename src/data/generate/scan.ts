/** Listing image files under a folder, recursively, in a stable (sorted) order. */
import { readdir } from 'node:fs/promises';
import { extname, join } from 'node:path';

/** File extensions treated as images. */
export const IMAGE_EXTENSIONS = ['.jpg', '.jpeg', '.png', '.bmp', '.webp', '.gif', '.tif', '.tiff'];

/** Image paths under `root`, relative to it with `/` separators, sorted by code point. */
export async function listImages(root: string, extensions: string[] = IMAGE_EXTENSIONS): Promise<string[]> {
  const exts = new Set(extensions.map((e) => e.toLowerCase()));
  const entries = await readdir(root, { recursive: true, withFileTypes: true });
  const out: string[] = [];
  for (const e of entries) {
    if (!e.isFile() || !exts.has(extname(e.name).toLowerCase())) continue;
    const parent = (e as { parentPath?: string; path?: string }).parentPath ?? (e as { path?: string }).path ?? root;
    out.push(
      join(parent, e.name)
        .slice(root.length)
        .replace(/^[\\/]+/, '')
        .split('\\')
        .join('/'),
    );
  }
  return out.sort();
}

/** Sort comparator placing numeric strings in numeric order ("2" < "10"), others by code point. */
export function naturalCompare(a: string, b: string): number {
  const na = Number(a);
  const nb = Number(b);
  if (a.trim() !== '' && b.trim() !== '' && Number.isFinite(na) && Number.isFinite(nb)) return na - nb;
  return a < b ? -1 : a > b ? 1 : 0;
}
