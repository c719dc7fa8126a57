/**
 * The recovery scenario: happy-path orders through the API at a steady rate while payments is
 * down (every call answered 503) for a while, submitting a few seconds before, during and after
 * the outage; then a bounded wait for every order to complete. Recovery and backlog figures come
 * from the orders' own transition times (the chaos run's `recovery()`), and the backlog's drain
 * time is set against the queueing bound: the backlog divided by the saga's measured throughput.
 */
import { setFaults } from '../chaos/faults';
import { OrdersApi, planOrders, submitSteadily, type Submitted } from '../chaos/orders';
import { PASSED, recovery } from '../chaos/recovery';
import { finalViews, outcomesOf } from '../chaos/settle';
import type { Stack } from '../chaos/stack';
import type { Supervisor } from '../chaos/supervisor';
import type { System } from './systems';

export interface RecoveryOptions {
  /** Orders submitted per second. */
  rate: number;
  outageSeconds: number;
  /** Longest wait, after the last submission, for every order to complete. */
  settleSeconds: number;
  /** The saga's measured throughput (orders/s), for the queueing bound. */
  sagaThroughput: number | null;
  seed: number;
  say: (m: string) => void;
}

export interface RecoveryResult {
  rate: number;
  outageSeconds: number;
  /** Seconds of submissions before the outage and after it. */
  beforeSeconds: number;
  afterSeconds: number;
  submitted: number;
  accepted: number;
  refused: Record<string, number>;
  /** Accepted orders that completed within the settle bound. */
  completed: number;
  outcomes: Record<string, number>;
  /** Outage end → first completion of an order that passed payments after the outage ended. */
  recoveryMs: number | null;
  /** Orders held up by the outage, and how many of them completed. */
  backlog: number;
  backlogCompleted: number;
  /** Outage end → the last held-up order completed. */
  drainMs: number | null;
  /** backlog / the saga's throughput: the best case for draining it at the saga's capacity. */
  boundMs: number | null;
  drainOverBound: number | null;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runRecovery(
  stack: Stack,
  sup: Supervisor,
  saga: System,
  o: RecoveryOptions,
): Promise<RecoveryResult> {
  const beforeSeconds = Math.min(5, o.outageSeconds / 2);
  const afterSeconds = Math.min(10, o.outageSeconds);
  const count = Math.ceil(o.rate * (beforeSeconds + o.outageSeconds + afterSeconds));
  const api = new OrdersApi(stack.apiUrl, stack.credentials);
  const plan = planOrders(count, o.seed, 'bench-recovery', 'happy');
  const submitted: Submitted = { accepted: new Map(), refused: {} };
  o.say(
    `recovery: ${count} orders at ${o.rate}/s; payments down for ${o.outageSeconds} s after ${beforeSeconds} s, submissions go on ${afterSeconds} s after it`,
  );

  const t0 = Date.now();
  const progress = setInterval(
    () =>
      o.say(`  recovery: ${submitted.accepted.size}/${count} accepted (${((Date.now() - t0) / 1000).toFixed(0)} s)`),
    5_000,
  );
  let outageStart = 0;
  let outageEnd = 0;
  try {
    const timeline = (async () => {
      await sleep(Math.max(0, t0 + beforeSeconds * 1000 - Date.now()));
      outageStart = Date.now();
      await setFaults(stack, 'payments', { outage: 'unavailable' });
      o.say('  recovery: payments is down (503 to everything)');
      await sleep(o.outageSeconds * 1000);
      await setFaults(stack, 'payments', {});
      outageEnd = Date.now();
      o.say('  recovery: payments answers again');
    })();
    await Promise.all([submitSteadily(api, plan, o.rate, t0, submitted), timeline]);
  } finally {
    clearInterval(progress);
  }
  sup.assertAlive('temporal', 'services', 'worker', 'api');

  const ids = [...submitted.accepted.keys()];
  o.say(`recovery: ${ids.length} accepted; waiting up to ${o.settleSeconds} s for every order to complete`);
  const deadline = Date.now() + o.settleSeconds * 1000;
  let completed = 0;
  const settling = setInterval(() => o.say(`  recovery: ${completed}/${ids.length} completed`), 5_000);
  try {
    await Promise.all(
      ids.map(async (id) => {
        try {
          await saga.completed(id, Math.max(1, deadline - Date.now()));
          completed += 1;
        } catch {
          // not completed within the bound: counted below from its final view
        }
      }),
    );
  } finally {
    clearInterval(settling);
  }

  const views = await finalViews(api, ids);
  const r = recovery([...views.values()], PASSED.payments, outageStart, outageEnd);
  const boundMs = o.sagaThroughput ? (r.backlog / o.sagaThroughput) * 1000 : null;
  return {
    rate: o.rate,
    outageSeconds: o.outageSeconds,
    beforeSeconds,
    afterSeconds,
    submitted: plan.length,
    accepted: ids.length,
    refused: submitted.refused,
    completed,
    outcomes: outcomesOf(views),
    recoveryMs: r.recoveryMs,
    backlog: r.backlog,
    backlogCompleted: r.backlogCompleted,
    drainMs: r.backlogClearedMs,
    boundMs,
    drainOverBound: r.backlogClearedMs !== null && boundMs ? r.backlogClearedMs / boundMs : null,
  };
}
