/**
 * Whether a path stays inside the working folder once `..`, absolute paths and symbolic links are
 * followed. Outputs must (validation refuses them otherwise); the runner checks again right before
 * it deletes, replaces or restores anything, since a link may have changed since validation.
 * Inputs may be read from anywhere.
 */
import { lstatSync, readlinkSync } from 'node:fs';
import path from 'node:path';

/** Links followed before a path counts as a loop (Linux's MAXSYMLINKS). */
const MAX_LINKS = 40;

/**
 * The absolute path `p` (relative to `dir`) leads to: every existing component that is a symbolic
 * link is followed (a dangling one too), what does not exist yet is taken as written. Undefined for
 * a symlink loop.
 */
export function resolveFollowingLinks(dir: string, p: string): string | undefined {
  let links = 0;
  const walk = (abs: string): string | undefined => {
    const parts = abs.split(path.sep).filter(Boolean);
    let cur = path.parse(abs).root;
    for (let i = 0; i < parts.length; i++) {
      if (parts[i] === '..') {
        cur = path.dirname(cur);
        continue;
      }
      const next = path.join(cur, parts[i]!);
      let isLink: boolean;
      try {
        isLink = lstatSync(next).isSymbolicLink();
      } catch {
        return path.join(next, ...parts.slice(i + 1)); // not there yet: the rest is created as written
      }
      if (!isLink) {
        cur = next;
        continue;
      }
      if (++links > MAX_LINKS) return undefined;
      const followed = walk(path.resolve(cur, readlinkSync(next)));
      if (followed === undefined) return undefined;
      cur = followed;
    }
    return cur;
  };
  return walk(path.resolve(dir, p));
}

/** Where an output leads and whether that is inside `dir` (the folder itself is not inside). */
export function outputPlace(dir: string, p: string): { inside: boolean; resolved: string } {
  const root = resolveFollowingLinks(dir, '.') ?? path.resolve(dir);
  const resolved = resolveFollowingLinks(dir, p);
  if (resolved === undefined) return { inside: false, resolved: `${path.resolve(dir, p)} (a symlink loop)` };
  const rel = path.relative(root, resolved);
  return { inside: rel !== '' && rel !== '..' && !rel.startsWith(`..${path.sep}`) && !path.isAbsolute(rel), resolved };
}
