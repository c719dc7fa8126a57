/**
 * One chaos run, start to finish: the stack up, orders submitted at a steady rate while the
 * downstreams are sick, the worker SIGKILLed and restarted mid-saga, one dependency fully down
 * for a while; then faults off (but lost answers, which go on), approvals given, parked
 * orders drained, a bounded wait for every order to settle, the ledger audit and the recovery
 * time. Always stops every child process.
 */
import fs from 'node:fs';
import { LOST_ANSWER_LOG } from '../../src/services/faults';
import { audit, readLedgers, type Figures } from './audit';
import { applyBackground, applySettling, BACKGROUND_FAULTS, clearFaults, setFaults, stockUp } from './faults';
import { OrdersApi, planOrders, STOCKED_SKUS, submitSteadily, type Submitted } from './orders';
import { finalViews, OrderWatch, outcomesOf } from './settle';
import { inRunFolder } from './options';
import { PASSED, recovery } from './recovery';
import { layout, startStack, type Service } from './stack';

export interface ChaosOptions {
  orders: number;
  /** Orders submitted per second. */
  rate: number;
  basePort: number;
  outage: Service;
  outageSeconds: number;
  /** Seconds the worker stays dead after its SIGKILL. */
  workerDownSeconds: number;
  /** How long, after the outage and the background faults end, orders may take to settle (lost answers go on). */
  settleSeconds: number;
  seed: number;
  /** Keep the temporary data and logs (always kept when the run fails). */
  keep: boolean;
  say: (message: string) => void;
}

export interface ChaosReport {
  figures: Figures;
  submitted: number;
  accepted: number;
  /** Submissions the API never accepted (after bounded retries), by last HTTP status. */
  refused: Record<string, number>;
  outcomes: Record<string, number>;
  workerRestarts: number;
  /** Answers the services dropped after the effect (`lostAnswerRate`), by service, from their log. */
  lostAnswers: Record<string, number>;
  /** From the end of the outage to the first completion of an order that needed the dependency after it. */
  recoveryMs: number | null;
  /** From the end of the outage until the last order held up by it completed. */
  backlogClearedMs: number | null;
  durationMs: number;
  dataDir: string;
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export async function runChaos(o: ChaosOptions): Promise<ChaosReport> {
  const started = Date.now();
  return inRunFolder('order-saga-chaos-', o, async (sup, dataDir) => {
    const l = layout(o.basePort);
    // The run reads every order over and over (it is the operator watching them all): the API's
    // per-credential read limit is for clients, not for the audit.
    const stack = await startStack(sup, l, dataDir, o.say, { apiEnv: { API_READ_RATE_PER_MINUTE: '0' } });
    const api = new OrdersApi(stack.apiUrl, stack.credentials);
    await stockUp(stack, STOCKED_SKUS);

    const plan = planOrders(o.orders, o.seed);
    const submitted: Submitted = { accepted: new Map(), refused: {} };
    const { accepted, refused } = submitted;
    const windowMs = (o.orders / o.rate) * 1000;
    o.say(
      `submitting ${o.orders} orders over ${(windowMs / 1000).toFixed(0)} s with background faults on every dependency`,
    );
    await applyBackground(stack);

    // The timeline of the chaos, relative to the first submission.
    const t0 = Date.now();
    const submissions = submitSteadily(api, plan, o.rate, t0, submitted);

    const at = (fraction: number) => sleep(Math.max(0, t0 + fraction * windowMs - Date.now()));
    let workerRestarts = 0;
    let outageStart = 0;
    let outageEnd = 0;
    const timeline = (async () => {
      await at(0.3);
      o.say('SIGKILL the worker (mid-saga)');
      await sup.kill('worker');
      await sleep(o.workerDownSeconds * 1000);
      sup.restart('worker');
      workerRestarts += 1;
      o.say('worker restarted');
      await at(0.5);
      outageStart = Date.now();
      o.say(`outage: ${o.outage} answers 503 to everything for ${o.outageSeconds} s`);
      await setFaults(stack, o.outage, { outage: 'unavailable' });
      await sleep(o.outageSeconds * 1000);
      await (o.outage in BACKGROUND_FAULTS ? applyBackground(stack) : setFaults(stack, o.outage, {}));
      outageEnd = Date.now();
      o.say(`outage over: ${o.outage} answers again`);
    })();

    // Approvers and the watch on every order, until all settle or the deadline passes.
    const watch = new OrderWatch(api, accepted, o.say);
    const watching = watch.run();
    await Promise.all([submissions, timeline]);
    o.say(
      `${accepted.size} orders accepted; faults off but lost answers (not on ${o.outage}), waiting up to ${o.settleSeconds} s for every order to settle`,
    );
    await applySettling(stack, o.outage);
    watch.settleWithin(o.settleSeconds * 1000);
    await watching;
    await clearFaults(stack);
    sup.assertAlive('temporal', 'services', 'worker', 'api');

    // Final reads: every accepted order, and the ledgers.
    const finals = await finalViews(api, [...accepted.keys()]);
    const figures = audit(finals, await readLedgers(stack));
    const outcomes = outcomesOf(finals);
    const { recoveryMs, backlogClearedMs } = recovery([...finals.values()], PASSED[o.outage], outageStart, outageEnd);
    const lostAnswers = countLostAnswers(sup.logFile('services'));
    return {
      figures,
      submitted: plan.length,
      accepted: accepted.size,
      refused,
      outcomes,
      workerRestarts,
      lostAnswers,
      recoveryMs,
      backlogClearedMs,
      durationMs: Date.now() - started,
      dataDir,
    };
  });
}

/** The services log one warning per answer they drop on purpose, with the service's name. */
function countLostAnswers(logFile: string): Record<string, number> {
  const counts: Record<string, number> = {};
  for (const line of fs.readFileSync(logFile, 'utf8').split('\n')) {
    if (!line.includes(LOST_ANSWER_LOG)) continue;
    try {
      const { service } = JSON.parse(line) as { service?: string };
      counts[service ?? '?'] = (counts[service ?? '?'] ?? 0) + 1;
    } catch {
      // not a JSON log line: not ours
    }
  }
  return counts;
}
