/**
 * CPU and memory of the benchmark's processes, read from /proc (Linux): CPU seconds used
 * during a phase (utime + stime of /proc/<pid>/stat) and the peak resident set size over it
 * (VmRSS of /proc/<pid>/status, sampled every 250 ms). A process that is not running counts 0.
 */
import { execFileSync } from 'node:child_process';
import fs from 'node:fs';

export interface ProcessFigures {
  cpuSeconds: number;
  peakRssMb: number;
  /** RSS when the phase ended. */
  endRssMb: number;
}

/** Clock ticks per second of /proc's CPU times (almost always 100). */
const CLOCK_TICKS = (() => {
  try {
    return Number(execFileSync('getconf', ['CLK_TCK'], { encoding: 'utf8' }).trim()) || 100;
  } catch {
    return 100;
  }
})();

/** utime + stime in seconds, or null when the process is gone. */
export function cpuSeconds(pid: number): number | null {
  try {
    const stat = fs.readFileSync(`/proc/${pid}/stat`, 'utf8');
    // The command name (field 2) is in parentheses and may hold spaces: count fields after it.
    const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
    return (Number(fields[11]) + Number(fields[12])) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** VmRSS in MB, or null when the process is gone. */
export function rssMb(pid: number): number | null {
  try {
    const match = /^VmRSS:\s+(\d+) kB/m.exec(fs.readFileSync(`/proc/${pid}/status`, 'utf8'));
    return match ? Number(match[1]) / 1024 : null;
  } catch {
    return null;
  }
}

/** CPU seconds the whole machine spent busy (all cores, every state but idle and iowait), from /proc/stat. */
export function machineBusySeconds(): number | null {
  try {
    const cpu = fs.readFileSync('/proc/stat', 'utf8').split('\n', 1)[0]!.trim().split(/\s+/).slice(1).map(Number);
    // user nice system idle iowait irq softirq steal (guest time is already inside user and nice)
    const [user = 0, nice = 0, system = 0, , , irq = 0, softirq = 0, steal = 0] = cpu;
    return (user + nice + system + irq + softirq + steal) / CLOCK_TICKS;
  } catch {
    return null;
  }
}

/** The pseudo-process of the report: CPU the rest of the machine used during the phase (other programs). */
export const ELSEWHERE = 'elsewhere';

/** The pids to watch, by process name, read afresh at each phase (a restarted child has a new pid). */
export type PidSource = () => Record<string, number | undefined>;

export const SAMPLE_EVERY_MS = 250;

/** One phase's sampling: `start()` at its beginning, `stop()` at its end gives every process's figures. */
export class PhaseSampler {
  private readonly pids: Record<string, number | undefined>;
  private readonly cpuAtStart = new Map<string, number>();
  private readonly peak = new Map<string, number>();
  private timer: NodeJS.Timeout | undefined;
  private busyAtStart: number | null = null;

  constructor(source: PidSource) {
    this.pids = source();
  }

  start(): this {
    this.busyAtStart = machineBusySeconds();
    for (const [name, pid] of Object.entries(this.pids)) {
      this.cpuAtStart.set(name, pid === undefined ? 0 : (cpuSeconds(pid) ?? 0));
    }
    this.sample();
    this.timer = setInterval(() => this.sample(), SAMPLE_EVERY_MS);
    return this;
  }

  private sample(): void {
    for (const [name, pid] of Object.entries(this.pids)) {
      const rss = pid === undefined ? null : rssMb(pid);
      if (rss !== null) this.peak.set(name, Math.max(this.peak.get(name) ?? 0, rss));
    }
  }

  stop(): Record<string, ProcessFigures> {
    clearInterval(this.timer);
    this.sample();
    const figures: Record<string, ProcessFigures> = {};
    for (const [name, pid] of Object.entries(this.pids)) {
      const cpu = pid === undefined ? null : cpuSeconds(pid);
      figures[name] = {
        cpuSeconds: cpu === null ? 0 : cpu - (this.cpuAtStart.get(name) ?? 0),
        peakRssMb: this.peak.get(name) ?? 0,
        endRssMb: (pid === undefined ? null : rssMb(pid)) ?? 0,
      };
    }
    // What other programs took from the same cores: a busy machine makes every figure worse.
    const busy = machineBusySeconds();
    if (busy !== null && this.busyAtStart !== null) {
      const ours = Object.values(figures).reduce((sum, f) => sum + f.cpuSeconds, 0);
      figures[ELSEWHERE] = { cpuSeconds: Math.max(0, busy - this.busyAtStart - ours), peakRssMb: 0, endRssMb: 0 };
    }
    return figures;
  }
}

/** Every process's RSS now, in MB. */
export function rssSnapshot(source: PidSource): Record<string, number> {
  return Object.fromEntries(
    Object.entries(source()).map(([name, pid]) => [name, (pid === undefined ? null : rssMb(pid)) ?? 0]),
  );
}
