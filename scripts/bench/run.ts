/**
 * One benchmark run, start to finish: the stack (as the chaos run starts it, on ports of its
 * own) plus the no-op worker, the two systems measured alternately for `rounds` rounds (each:
 * warm-up, unloaded latency, throughput, submit rate), then the recovery scenario. Always stops
 * every child process.
 */
import os from 'node:os';
import path from 'node:path';
import { loadConfig, temporalSchema } from '../../src/config';
import { connectClient } from '../../src/temporal/connection';
import { resolveBinary, TEMPORAL_CLI } from '../../src/temporal/binaries';
import { stockUp } from '../chaos/faults';
import { inRunFolder } from '../chaos/options';
import { OrdersApi, planOrders, STOCKED_SKUS } from '../chaos/orders';
import { HOST, layout, startStack } from '../chaos/stack';
import type { Supervisor } from '../chaos/supervisor';
import {
  elsewhereShare,
  figuresOf,
  NOISY_SHARE,
  processSummaries,
  ratiosOf,
  targetsOf,
  type Figures,
  type ProcessSummary,
  type Ratios,
  type Round,
  type SystemRound,
  type Target,
} from './figures';
import { describeMachine, type Machine } from './machine';
import { PhaseRunner, type PhaseResult, type PhaseSettings } from './phases';
import { rssSnapshot, type PidSource } from './process-stats';
import { runRecovery, type RecoveryResult } from './recovery';
import { ceilingSystem, NOOP_TASK_QUEUE, sagaSystem, SYSTEMS, type System, type SystemName } from './systems';

export interface BenchOptions {
  rounds: number;
  orders: number;
  inFlight: number;
  unloaded: number;
  submit: number;
  rate: number;
  outageSeconds: number;
  settleSeconds: number;
  basePort: number;
  skipRecovery: boolean;
  keep: boolean;
  say: (message: string) => void;
}

export interface BenchResult {
  options: Omit<BenchOptions, 'say'> & { warmup: number; orderTimeoutSeconds: number };
  machine: Machine;
  startedAt: string;
  durationMs: number;
  rounds: Round[];
  medians: Record<SystemName, Figures>;
  /** Events in the history of one completed order of each system. */
  historyEvents: Record<SystemName, number>;
  /** The same, by event type. */
  historyEventTypes: Record<SystemName, Record<string, number>>;
  ratios: Ratios;
  targets: Target[];
  processes: Record<string, ProcessSummary>;
  /** RSS (MB) of every process after the first round's warm-ups, after the rounds, and at the end. */
  rssSnapshots: Record<'afterWarmup' | 'afterRounds' | 'end', Record<string, number>>;
  recovery: RecoveryResult | null;
}

const NOOP_WORKER = path.join(__dirname, 'noop-worker.ts');
const STACK_PROCESSES = ['temporal', 'services', 'worker', 'api', 'noop-worker'] as const;
/** Per-credential limits of the API (600 orders a minute by default) would measure the limiter, not the saga. */
const NO_RATE_LIMITS = { API_INTAKE_RATE_PER_MINUTE: '0', API_READ_RATE_PER_MINUTE: '0' };
/** The most units a planned happy order takes of one SKU (planOrders: 1–3). */
const MAX_UNITS_PER_ORDER = 3;

const ms = (v: number) => `${Math.round(v)} ms`;

export async function runBench(o: BenchOptions): Promise<BenchResult> {
  const started = Date.now();
  const settings: PhaseSettings = {
    unloaded: o.unloaded,
    orders: o.orders,
    inFlight: o.inFlight,
    submit: o.submit,
    warmup: Math.max(10, o.inFlight),
    orderTimeoutMs: 300_000,
  };
  return inRunFolder('order-saga-bench-', o, async (sup, dataDir) => {
    const l = layout(o.basePort);
    const stack = await startStack(sup, l, dataDir, o.say, { apiEnv: NO_RATE_LIMITS });
    const temporalAddress = `${HOST}:${l.temporal}`;
    sup.start({
      name: 'noop-worker',
      command: process.execPath,
      args: ['--import', 'tsx', NOOP_WORKER],
      env: { BENCH_TEMPORAL_ADDRESS: temporalAddress, BENCH_TASK_QUEUE: NOOP_TASK_QUEUE, LOG_LEVEL: 'warn' },
    });
    o.say(`no-op worker started on task queue ${NOOP_TASK_QUEUE}`);
    const machine = describeMachine((await resolveBinary(TEMPORAL_CLI, { install: false }))?.path);

    // Every saga order of the run could take the most units of one SKU: stock for all of them.
    const recoveryOrders = o.skipRecovery ? 0 : Math.ceil(o.rate * (o.outageSeconds + 15));
    const sagaOrders = o.rounds * (settings.warmup + o.unloaded + o.orders + o.submit) + 1 + recoveryOrders;
    await stockUp(stack, STOCKED_SKUS, Math.max(1_000_000, sagaOrders * MAX_UNITS_PER_ORDER));

    const client = await connectClient(loadConfig(temporalSchema, { TEMPORAL_ADDRESS: temporalAddress }));
    try {
      const api = new OrdersApi(stack.apiUrl, stack.credentials);
      const systems: Record<SystemName, System> = { ceiling: ceilingSystem(client), saga: sagaSystem(client, api) };
      const historyEvents = {} as Record<SystemName, number>;
      const historyEventTypes = {} as Record<SystemName, Record<string, number>>;
      for (const name of SYSTEMS) {
        const id = await firstOrder(systems[name], sup, o.say);
        // Every event is server work (persisted, some indexed for visibility): the shape's cost, counted.
        const events = (await client.workflow.getHandle(id).fetchHistory()).events ?? [];
        historyEvents[name] = events.length;
        historyEventTypes[name] = countEventTypes(events);
        o.say(`${name}: ${events.length} history events per order ${JSON.stringify(historyEventTypes[name])}`);
      }

      const pids: PidSource = () => ({
        ...Object.fromEntries(STACK_PROCESSES.map((name) => [name, sup.pid(name)])),
        bench: process.pid,
      });
      const runner = new PhaseRunner(pids, settings, o.say);
      const rounds: Round[] = [];
      let afterWarmup: Record<string, number> = {};
      for (let round = 1; round <= o.rounds; round++) {
        const results: Partial<Round> = {};
        for (const name of SYSTEMS) {
          const say = (m: string) => o.say(`round ${round}/${o.rounds} ${name} ${m}`);
          results[name] = await measureSystem(runner, systems[name], settings, say, () => {
            // Both systems have served orders by the end of the first round's saga warm-up.
            if (round === 1 && name === 'saga') afterWarmup = rssSnapshot(pids);
          });
          sup.assertAlive(...STACK_PROCESSES);
        }
        rounds.push(results as Round);
      }
      const afterRounds = rssSnapshot(pids);

      const medians = { ceiling: figuresOf(rounds, 'ceiling'), saga: figuresOf(rounds, 'saga') };
      let recovery: RecoveryResult | null = null;
      if (!o.skipRecovery) {
        recovery = await runRecovery(stack, sup, systems.saga, {
          rate: o.rate,
          outageSeconds: o.outageSeconds,
          settleSeconds: o.settleSeconds,
          sagaThroughput: medians.saga.throughput,
          seed: 1,
          say: o.say,
        });
        sup.assertAlive(...STACK_PROCESSES);
      }
      const end = rssSnapshot(pids);
      const ratios = ratiosOf(medians.ceiling, medians.saga);
      const { say: _say, ...options } = o;
      return {
        options: { ...options, warmup: settings.warmup, orderTimeoutSeconds: settings.orderTimeoutMs / 1000 },
        machine,
        startedAt: new Date(started).toISOString(),
        durationMs: Date.now() - started,
        rounds,
        medians,
        historyEvents,
        historyEventTypes,
        ratios,
        targets: targetsOf(ratios, recovery),
        processes: processSummaries(rounds, { afterWarmup, afterRounds, end }),
        rssSnapshots: { afterWarmup, afterRounds, end },
        recovery,
      };
    } finally {
      await client.connection.close();
    }
  });
}

/** The first order of a system, awaited long enough for its worker to bundle its workflows and start polling; its id. */
async function firstOrder(system: System, sup: Supervisor, say: (m: string) => void): Promise<string> {
  const [order] = planOrders(1, 1, 'bench', 'happy');
  const t0 = Date.now();
  const id = await system.submit(order!);
  await system.completed(id, 180_000);
  sup.assertAlive(...STACK_PROCESSES);
  say(`${system.name}: first order completed in ${ms(Date.now() - t0)} (workers ready)`);
  return id;
}

/** Events by type: an event's type shows in which of its `…EventAttributes` fields is set. */
function countEventTypes(events: readonly object[]): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const event of events) {
    const entry = Object.entries(event).find(([key, value]) => key.endsWith('EventAttributes') && value);
    const type = entry ? entry[0].replace(/EventAttributes$/, '') : 'unknown';
    counts[type] = (counts[type] ?? 0) + 1;
  }
  return counts;
}

async function measureSystem(
  runner: PhaseRunner,
  system: System,
  s: PhaseSettings,
  say: (m: string) => void,
  afterWarmup: () => void,
): Promise<SystemRound> {
  const plan = (n: number) => planOrders(n, 1, 'bench', 'happy');
  const failures = (p: PhaseResult) => {
    const share = elsewhereShare(p, os.cpus().length);
    const noise = share > NOISY_SHARE ? `; NOISY: other programs took ${(share * 100).toFixed(0)} % of the CPU` : '';
    return (p.failed > 0 ? `, ${p.failed} FAILED (${p.errors.slice(0, 2).join('; ')})` : '') + noise;
  };

  say(`warm-up: ${s.warmup} orders, ${s.inFlight} in flight`);
  const warmup = await runner.warmup(system, plan(s.warmup));
  afterWarmup();

  say(`unloaded latency: ${s.unloaded} orders one at a time`);
  const unloaded = await runner.unloaded(system, plan(s.unloaded));
  const u = unloaded.latency;
  say(
    `unloaded latency: p50 ${u ? ms(u.p50) : 'n/a'}, p95 ${u ? ms(u.p95) : 'n/a'}, p99 ${u ? ms(u.p99) : 'n/a'}${failures(unloaded)}`,
  );

  say(`throughput: ${s.orders} orders, ${s.inFlight} in flight`);
  const throughput = await runner.throughput(system, plan(s.orders));
  const t = throughput.latency;
  say(
    `throughput: ${throughput.perSecond?.toFixed(2) ?? 'n/a'} orders/s; loaded p50 ${t ? ms(t.p50) : 'n/a'}, p95 ${t ? ms(t.p95) : 'n/a'}, p99 ${t ? ms(t.p99) : 'n/a'}${failures(throughput)}`,
  );

  say(`submit rate: ${s.submit} submissions, ${s.inFlight} at a time`);
  const submit = await runner.submitRate(system, plan(s.submit));
  say(`submit rate: ${submit.perSecond?.toFixed(1) ?? 'n/a'} submissions/s${failures(submit)}`);
  return { warmup, unloaded, throughput, submit };
}
