import { readFileSync, writeFileSync } from 'node:fs';

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

/** Resets VmHWM to the current RSS (Linux 4.0 and later), so the next reading is the peak of what follows. */
export function resetPeakRss(pid: number): boolean {
  try {
    writeFileSync(`/proc/${pid}/clear_refs`, '5');
    return true;
  } catch {
    return false;
  }
}
