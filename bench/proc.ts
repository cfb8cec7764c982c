import { readdirSync, readFileSync, writeFileSync } from 'node:fs';

/** A memory field of /proc/<pid>/status in MB (VmRSS now, VmHWM the peak), or null where there is no /proc. */
export function procMemoryMb(pid: number | 'self', field: 'VmRSS' | 'VmHWM'): number | null {
  try {
    const status = readFileSync(`/proc/${pid}/status`, 'utf8');
    const match = new RegExp(`^${field}:\\s+(\\d+) kB`, 'm').exec(status);
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** The process's children, their children and so on: a worker's training processes are its children. */
export function descendants(pid: number): number[] {
  const parents = new Map<number, number[]>();
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    try {
      // The parent pid is the second field after the command, which is in parentheses and may hold spaces.
      const stat = readFileSync(`/proc/${entry}/stat`, 'utf8');
      const ppid = Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]);
      parents.set(ppid, [...(parents.get(ppid) ?? []), Number(entry)]);
    } catch {
      // Gone between the listing and the read.
    }
  }
  const found: number[] = [];
  const queue = [pid];
  while (queue.length) {
    for (const child of parents.get(queue.shift() as number) ?? []) {
      queue.push(child);
      found.push(child);
    }
  }
  return found;
}

/**
 * Resets VmHWM to the current RSS (Linux 4.0 and later) for the process and
 * its descendants, so the next reading is the peak of what follows.
 */
export function resetPeakRss(pid: number): boolean {
  try {
    for (const each of [pid, ...descendants(pid)]) writeFileSync(`/proc/${each}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}

/**
 * The peak RSS of the process and its descendants (training processes
 * included), summed: at least the peak of their sum, since the peaks need not
 * coincide. Null where there is no /proc.
 */
export function treePeakRssMb(pid: number): number | null {
  const own = procMemoryMb(pid, 'VmHWM');
  if (own === null) return null;
  return descendants(pid).reduce((sum, each) => sum + (procMemoryMb(each, 'VmHWM') ?? 0), own);
}
