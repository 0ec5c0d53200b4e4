/** CPU time per process, from /proc/<pid>/stat (utime + stime, all threads). */
import { execFileSync } from 'node:child_process';
import { readFileSync } from 'node:fs';

export const round = (x: number, digits = 1) => Math.round(x * 10 ** digits) / 10 ** digits;
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

export interface CpuSnapshot {
  readonly at: number;
  readonly seconds: Record<string, number>;
}

/** Reads the CPU time of each process; one that has exited keeps the time it had in `previous`. */
export function cpuSnapshot(pids: Record<string, number | undefined>, previous?: CpuSnapshot): CpuSnapshot {
  const seconds: Record<string, number> = { ...previous?.seconds };
  for (const [name, pid] of Object.entries(pids)) {
    if (!pid) continue;
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      // Never less than before: a process that has exited but is not yet reaped reads as 0.
      seconds[name] = Math.max(seconds[name] ?? 0, (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS);
    } catch {
      // the process has gone
    }
  }
  // The whole machine (every core, every process): user + nice + system + irq + softirq + steal.
  const cpu = readFileSync('/proc/stat', 'utf8').split('\n')[0]?.split(/\s+/).slice(1).map(Number) ?? [];
  seconds.machine = [0, 1, 2, 5, 6, 7].reduce((sum, i) => sum + (cpu[i] ?? 0), 0) / CLOCK_TICKS;
  return { at: Date.now(), seconds };
}

/** Each process's CPU use between two snapshots, in % of one core (the machine has `nproc` × 100 %). */
export function cpuPercent(from: CpuSnapshot, to: CpuSnapshot): Record<string, number> {
  const wall = (to.at - from.at) / 1000;
  const out: Record<string, number> = {};
  for (const [name, s] of Object.entries(to.seconds)) {
    const before = from.seconds[name];
    if (before !== undefined && wall > 0) out[name] = round((100 * (s - before)) / wall);
  }
  return out;
}
