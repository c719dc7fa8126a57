/**
 * The phases of one system in one round: warm-up (not counted), unloaded latency (one order at
 * a time), throughput (a closed loop: `inFlight` orders outstanding, each completion starts the
 * next) and submit rate (submissions only, as fast as `inFlight` lanes go; completions awaited
 * afterwards, untimed). Every phase samples the processes' CPU and RSS, and every wait is bounded.
 */
import type { PlannedOrder } from '../chaos/orders';
import { PhaseSampler, type PidSource, type ProcessFigures } from './process-stats';
import type { System } from './systems';

export const PHASES = ['warmup', 'unloaded', 'throughput', 'submit'] as const;
export type PhaseName = (typeof PHASES)[number];

export interface Latency {
  p50: number;
  p95: number;
  p99: number;
}

export interface PhaseResult {
  orders: number;
  /** Orders not submitted, or (awaited) not completed as they should. */
  failed: number;
  /** The first few failures' messages. */
  errors: string[];
  durationMs: number;
  /** Submit → completed, ms (not for `submit`, which times submissions only). */
  latency: Latency | null;
  /** Completed orders per second (throughput) or submissions per second (submit). */
  perSecond: number | null;
  processes: Record<string, ProcessFigures>;
}

export interface PhaseSettings {
  unloaded: number;
  orders: number;
  inFlight: number;
  submit: number;
  warmup: number;
  /** Longest wait for one order's completion. */
  orderTimeoutMs: number;
}

/** Nearest-rank percentile of `sorted` (ascending). */
export function percentile(sorted: readonly number[], p: number): number {
  if (sorted.length === 0) return Number.NaN;
  return sorted[Math.min(sorted.length - 1, Math.max(0, Math.ceil((p / 100) * sorted.length) - 1))]!;
}

export function latencyOf(samples: readonly number[]): Latency | null {
  if (samples.length === 0) return null;
  const sorted = [...samples].sort((a, b) => a - b);
  return { p50: percentile(sorted, 50), p95: percentile(sorted, 95), p99: percentile(sorted, 99) };
}

/** Runs `task` over `items`, at most `lanes` at a time; a lane takes the next item when its task ends. */
async function inLanes<T>(items: readonly T[], lanes: number, task: (item: T) => Promise<void>): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) await task(items[next++]!);
  };
  await Promise.all(Array.from({ length: Math.min(lanes, items.length) }, lane));
}

/** Counts of a phase in progress, and a line every few seconds on the terminal. */
class Progress {
  done = 0;
  failed = 0;
  readonly errors: string[] = [];
  private readonly started = Date.now();
  private readonly timer: NodeJS.Timeout;

  constructor(label: string, total: number, say: (m: string) => void, noun = 'completed') {
    this.timer = setInterval(() => {
      const rate = this.done / ((Date.now() - this.started) / 1000);
      say(
        `  ${label}: ${this.done}/${total} ${noun}${this.failed ? `, ${this.failed} failed` : ''} (${rate.toFixed(1)}/s)`,
      );
    }, 5_000);
  }

  fail(err: unknown): void {
    this.failed += 1;
    if (this.errors.length < 5) this.errors.push(err instanceof Error ? err.message : String(err));
  }

  stop(): void {
    clearInterval(this.timer);
  }
}

export class PhaseRunner {
  constructor(
    private readonly pids: PidSource,
    private readonly settings: PhaseSettings,
    private readonly say: (m: string) => void,
  ) {}

  /** `orders` submitted and awaited with `lanes` outstanding, each timed from submit to completion. */
  private async closedLoop(label: string, system: System, orders: readonly PlannedOrder[], lanes: number) {
    const sampler = new PhaseSampler(this.pids).start();
    const progress = new Progress(label, orders.length, this.say);
    const latencies: number[] = [];
    const started = performance.now();
    await inLanes(orders, lanes, async (order) => {
      const t0 = performance.now();
      try {
        const id = await system.submit(order);
        await system.completed(id, this.settings.orderTimeoutMs);
        latencies.push(performance.now() - t0);
        progress.done += 1;
      } catch (err) {
        progress.fail(err);
      }
    });
    const durationMs = performance.now() - started;
    progress.stop();
    return { latencies, durationMs, progress, processes: sampler.stop() };
  }

  async warmup(system: System, orders: readonly PlannedOrder[]): Promise<PhaseResult> {
    const r = await this.closedLoop(`${system.name} warm-up`, system, orders, this.settings.inFlight);
    return this.result(orders.length, r, latencyOf(r.latencies), null);
  }

  async unloaded(system: System, orders: readonly PlannedOrder[]): Promise<PhaseResult> {
    const r = await this.closedLoop(`${system.name} unloaded`, system, orders, 1);
    return this.result(orders.length, r, latencyOf(r.latencies), null);
  }

  async throughput(system: System, orders: readonly PlannedOrder[]): Promise<PhaseResult> {
    const r = await this.closedLoop(`${system.name} throughput`, system, orders, this.settings.inFlight);
    return this.result(orders.length, r, latencyOf(r.latencies), r.progress.done / (r.durationMs / 1000));
  }

  /** Submissions only are timed; then every submitted order is awaited (untimed, bounded) before the next phase. */
  async submitRate(system: System, orders: readonly PlannedOrder[]): Promise<PhaseResult> {
    const sampler = new PhaseSampler(this.pids).start();
    const progress = new Progress(`${system.name} submit`, orders.length, this.say, 'submitted');
    const ids: string[] = [];
    const started = performance.now();
    await inLanes(orders, this.settings.inFlight, async (order) => {
      try {
        ids.push(await system.submit(order));
        progress.done += 1;
      } catch (err) {
        progress.fail(err);
      }
    });
    const durationMs = performance.now() - started;
    progress.stop();
    const processes = sampler.stop();
    const submitted = progress.done;
    this.say(`  ${system.name} submit: ${submitted} submitted; waiting for them to complete (not timed)`);
    const completing = new Progress(`${system.name} submit, completing`, ids.length, this.say);
    // The wait is bounded per order; all are awaited at once, as they were all started at once.
    await inLanes(ids, ids.length, async (id) => {
      try {
        await system.completed(id, this.settings.orderTimeoutMs);
        completing.done += 1;
      } catch (err) {
        completing.fail(err);
        progress.fail(err);
      }
    });
    completing.stop();
    return this.result(orders.length, { durationMs, progress, processes }, null, submitted / (durationMs / 1000));
  }

  private result(
    orders: number,
    r: { durationMs: number; progress: Progress; processes: Record<string, ProcessFigures> },
    latency: Latency | null,
    perSecond: number | null,
  ): PhaseResult {
    return {
      orders,
      failed: r.progress.failed,
      errors: r.progress.errors,
      durationMs: Math.round(r.durationMs),
      latency,
      perSecond,
      processes: r.processes,
    };
  }
}
