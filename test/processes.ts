/** Test helpers over the process tree (Linux /proc). */
import { readdirSync, readFileSync } from 'node:fs';

/** Pids of the processes below `pid` whose command line contains `needle`. */
export function descendants(pid: number, needle: string): number[] {
  const procs = readdirSync('/proc')
    .filter((d) => /^\d+$/.test(d))
    .flatMap((d) => {
      try {
        const stat = readFileSync(`/proc/${d}/stat`, 'utf8');
        const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
        return [{ pid: Number(d), ppid, cmd: readFileSync(`/proc/${d}/cmdline`, 'utf8') }];
      } catch {
        return [];
      }
    });
  const below = new Set([pid]);
  for (let grew = true; grew;) {
    grew = false;
    for (const p of procs) if (below.has(p.ppid) && !below.has(p.pid)) (below.add(p.pid), (grew = true));
  }
  return procs.filter((p) => p.pid !== pid && below.has(p.pid) && p.cmd.includes(needle)).map((p) => p.pid);
}
