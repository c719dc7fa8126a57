/**
 * From the rounds' raw phases to the benchmark's figures: the median over rounds of each
 * figure, the ratios saga / ceiling, the targets with PASS/FAIL, and every process's CPU and
 * RSS per system and phase, with its RSS growth from the end of the first round's warm-ups to
 * the end of the run.
 */
import type { Latency, PhaseName, PhaseResult } from './phases';
import { ELSEWHERE } from './process-stats';
import type { RecoveryResult } from './recovery';
import { SYSTEMS, type SystemName } from './systems';

export type SystemRound = Record<PhaseName, PhaseResult>;
export type Round = Record<SystemName, SystemRound>;

export interface Figures {
  /** Orders completed per second with `inFlight` outstanding. */
  throughput: number | null;
  /** Submissions answered per second with `inFlight` lanes. */
  submitRate: number | null;
  unloaded: Latency | null;
  loaded: Latency | null;
}

export interface Ratios {
  throughput: number | null;
  submitRate: number | null;
  unloadedP50: number | null;
  loadedP50: number | null;
}

export interface Target {
  figure: string;
  value: number | null;
  /** E.g. `≥ 0.8`. */
  target: string;
  pass: boolean;
}

export const MEASURED_PHASES = ['unloaded', 'throughput', 'submit'] as const;
type MeasuredPhase = (typeof MEASURED_PHASES)[number];

export interface ProcessSummary {
  /** Median over rounds, per system and measured phase. */
  cpuSeconds: Record<SystemName, Record<MeasuredPhase, number>>;
  peakRssMb: Record<SystemName, Record<MeasuredPhase, number>>;
  /** CPU milliseconds per completed order in the throughput phase (median over rounds). */
  cpuMsPerOrder: Record<SystemName, number | null>;
  /**
   * RSS at the end of the first round's warm-ups, after the rounds, at the end of the run (after
   * the recovery scenario, if any), and the growth from the first to the last.
   */
  rss: { afterWarmupMb: number; afterRoundsMb: number; endMb: number; growthMb: number; growthPct: number | null };
}

export function median(values: readonly (number | null)[]): number | null {
  const known = values.filter((v): v is number => v !== null && Number.isFinite(v)).sort((a, b) => a - b);
  if (known.length === 0) return null;
  const mid = Math.floor(known.length / 2);
  return known.length % 2 === 1 ? known[mid]! : (known[mid - 1]! + known[mid]!) / 2;
}

function medianLatency(latencies: readonly (Latency | null)[]): Latency | null {
  const known = latencies.filter((l): l is Latency => l !== null);
  if (known.length === 0) return null;
  return {
    p50: median(known.map((l) => l.p50))!,
    p95: median(known.map((l) => l.p95))!,
    p99: median(known.map((l) => l.p99))!,
  };
}

export function figuresOf(rounds: readonly Round[], system: SystemName): Figures {
  const of = (phase: PhaseName) => rounds.map((r) => r[system][phase]);
  return {
    throughput: median(of('throughput').map((p) => p.perSecond)),
    submitRate: median(of('submit').map((p) => p.perSecond)),
    unloaded: medianLatency(of('unloaded').map((p) => p.latency)),
    loaded: medianLatency(of('throughput').map((p) => p.latency)),
  };
}

const ratio = (a: number | null | undefined, b: number | null | undefined) =>
  a === null || a === undefined || b === null || b === undefined || b === 0 ? null : a / b;

export function ratiosOf(ceiling: Figures, saga: Figures): Ratios {
  return {
    throughput: ratio(saga.throughput, ceiling.throughput),
    submitRate: ratio(saga.submitRate, ceiling.submitRate),
    unloadedP50: ratio(saga.unloaded?.p50, ceiling.unloaded?.p50),
    loadedP50: ratio(saga.loaded?.p50, ceiling.loaded?.p50),
  };
}

export const RECOVERY_TARGET_MS = 5_000;

export function targetsOf(ratios: Ratios, recovery: RecoveryResult | null): Target[] {
  const atLeast = (figure: string, value: number | null, bound: number): Target => ({
    figure,
    value,
    target: `≥ ${bound}`,
    pass: value !== null && value >= bound,
  });
  const atMost = (figure: string, value: number | null, bound: number, unit = ''): Target => ({
    figure,
    value,
    target: `≤ ${bound}${unit}`,
    pass: value !== null && value <= bound,
  });
  const targets = [
    atLeast('throughput saga / ceiling', ratios.throughput, 0.8),
    atLeast('submit rate saga / ceiling', ratios.submitRate, 0.8),
    atMost('unloaded p50 saga / ceiling', ratios.unloadedP50, 1.0),
  ];
  if (recovery) {
    const seconds = recovery.recoveryMs === null ? null : recovery.recoveryMs / 1000;
    targets.push(atMost('recovery after the payments outage (s)', seconds, RECOVERY_TARGET_MS / 1000, ' s'));
  }
  return targets;
}

export function processSummaries(
  rounds: readonly Round[],
  rss: Record<'afterWarmup' | 'afterRounds' | 'end', Record<string, number>>,
): Record<string, ProcessSummary> {
  const names = Object.keys(rounds[0]?.ceiling.unloaded.processes ?? {});
  const summaries: Record<string, ProcessSummary> = {};
  for (const name of names) {
    const perPhase = (system: SystemName, read: (p: PhaseResult) => number | undefined) =>
      Object.fromEntries(
        MEASURED_PHASES.map((phase) => [phase, median(rounds.map((r) => read(r[system][phase]) ?? null)) ?? 0]),
      ) as Record<MeasuredPhase, number>;
    const bySystem = <T>(f: (system: SystemName) => T) =>
      Object.fromEntries(SYSTEMS.map((s) => [s, f(s)])) as Record<SystemName, T>;
    const after = rss.afterWarmup[name] ?? 0;
    const end = rss.end[name] ?? 0;
    summaries[name] = {
      cpuSeconds: bySystem((s) => perPhase(s, (p) => p.processes[name]?.cpuSeconds)),
      peakRssMb: bySystem((s) => perPhase(s, (p) => p.processes[name]?.peakRssMb)),
      cpuMsPerOrder: bySystem((s) =>
        median(
          rounds.map((r) => {
            const phase = r[s].throughput;
            const done = phase.orders - phase.failed;
            return done > 0 ? ((phase.processes[name]?.cpuSeconds ?? 0) * 1000) / done : null;
          }),
        ),
      ),
      rss: {
        afterWarmupMb: after,
        afterRoundsMb: rss.afterRounds[name] ?? 0,
        endMb: end,
        growthMb: end - after,
        growthPct: after > 0 ? (end / after - 1) * 100 : null,
      },
    };
  }
  return summaries;
}

/** Above this share of the machine's CPU taken by other programs, a phase's figures are flagged as noisy. */
export const NOISY_SHARE = 0.1;

/** The share of the machine's CPU (all cores, over the phase) other programs used during `phase`. */
export function elsewhereShare(phase: PhaseResult, cores: number): number {
  const capacity = (phase.durationMs / 1000) * cores;
  return capacity > 0 ? (phase.processes[ELSEWHERE]?.cpuSeconds ?? 0) / capacity : 0;
}

/** Every measured phase where other programs took more than NOISY_SHARE of the machine: `round 2 saga throughput 35 %`. */
export function noisyPhases(rounds: readonly Round[], cores: number): string[] {
  const noisy: string[] = [];
  rounds.forEach((round, i) => {
    for (const system of SYSTEMS)
      for (const phase of MEASURED_PHASES) {
        const share = elsewhereShare(round[system][phase], cores);
        if (share > NOISY_SHARE) noisy.push(`round ${i + 1} ${system} ${phase} ${(share * 100).toFixed(0)} %`);
      }
  });
  return noisy;
}
