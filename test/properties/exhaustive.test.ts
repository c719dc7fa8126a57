/**
 * Every fault schedule up to a bound, not a random sample: for each business outcome (the order
 * goes through; the payment is declined; the address is undeliverable), every choice of up to
 * EXHAUSTIVE_FAULTS effectful calls (reserve, release, commit, capture, refund, the primary
 * carrier's dispatch and void, the backup carrier's dispatch), each meeting one of
 *   flaky               takes effect but its answer is lost, then a 503, then answers: the
 *                       retries within the budget must be repeats, not new effects
 *   downPastBudget      down until the operator's move, longer than any retry budget
 *   lostAnswerThenDown  takes effect, its answer is lost, then down until the operator's move
 * and at each of the first EXHAUSTIVE_PARKS parks the operator's retry once healed, or a
 * cancellation (EXHAUSTIVE_MOVES adds retrying too early and parking again, and the drain).
 * After each run the order must have ended as its business outcome says (faults delay an order,
 * never change how it ends; only an accepted cancellation does), every park must say why, its
 * moves must be legal, and its ledgers must keep the invariant.
 *
 * Pruning is exact: runs are deterministic (fixed jitter, no real-time faults), and a fault on a
 * call the run never makes changes nothing, so a schedule is extended only by calls its run made.
 *
 *   EXHAUSTIVE_FAULTS=3 EXHAUSTIVE_PARKS=3 EXHAUSTIVE_MOVES=cancel,retryTooEarly,drain \
 *     npm run test:unit -- test/properties/exhaustive.test.ts
 */
import './quiet-runtime';
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { OrderStatus } from '../../src/workflows/order-status';
import { setUpSaga, type Saga } from '../saga/harness';
import { createPropertyRig, type PropertyRig } from './saga-driver';
import {
  calmSchedule,
  EFFECTFUL_OPERATIONS,
  OPERATOR_ACTIONS,
  type Fault,
  type Operation,
  type OperatorAction,
  type Schedule,
} from './schedule';

const MAX_FAULTS = Number(process.env.EXHAUSTIVE_FAULTS ?? 2);
const MAX_PARKS = Number(process.env.EXHAUSTIVE_PARKS ?? 2);
/** The operator's moves tried at each park besides a retry once healed (all four: `cancel,retryTooEarly,drain`). */
const MOVES = (process.env.EXHAUSTIVE_MOVES ?? 'cancel').split(',') as OperatorAction[];
for (const move of MOVES) assert.ok(OPERATOR_ACTIONS.includes(move), `EXHAUSTIVE_MOVES: unknown move "${move}"`);

type Kind = 'flaky' | 'downPastBudget' | 'lostAnswerThenDown';
const KINDS: readonly Kind[] = ['flaky', 'downPastBudget', 'lostAnswerThenDown'];
type Faults = ReadonlyMap<Operation, Kind>;

/** The business outcomes, and how each order must end: faults never change an outcome, only delay it. */
const SCENARIOS: Record<string, { world: Partial<Schedule['world']>; ends: OrderStatus }> = {
  'goes through': { world: {}, ends: OrderStatus.COMPLETED },
  'payment declined': { world: { decline: 'PaymentDeclined' }, ends: OrderStatus.TRANSACTION_REVOKED },
  'address undeliverable': { world: { addressRejected: true }, ends: OrderStatus.REJECTED },
};

function scheduleOf(scenario: string, faults: Faults, operator: readonly OperatorAction[]): Schedule {
  const scripted: Partial<Record<Operation, Fault[]>> = {};
  const outages: Operation[] = [];
  for (const [op, kind] of faults) {
    if (kind === 'flaky') scripted[op] = [{ kind: 'effectThenTimeout' }, { kind: 'unavailable' }];
    else if (kind === 'downPastBudget') outages.push(op);
    else {
      scripted[op] = [{ kind: 'effectThenTimeout' }];
      outages.push(op);
    }
  }
  return calmSchedule({
    world: { ...SCENARIOS[scenario]!.world, faults: scripted, outages },
    operator: [...operator],
  });
}

const keyOf = (scenario: string, faults: Faults, operator: readonly OperatorAction[]) =>
  `${scenario} | ${[...faults]
    .map(([op, kind]) => `${op}=${kind}`)
    .sort()
    .join(', ')} | ${operator.join(', ')}`;

let saga: Saga;
let rig: PropertyRig;
before(async () => {
  saga = await setUpSaga();
  rig = await createPropertyRig(saga.env, saga.bundle);
});
after(async () => {
  await rig?.close();
  await saga?.env.teardown();
});

// A few minutes at the default bound, beside the other suites: more than the runner's default timeout.
test(
  `every schedule of up to ${MAX_FAULTS} faulted calls, with operator moves at ${MAX_PARKS} parks, keeps the invariants`,
  { timeout: 20 * 60_000 },
  async () => {
    const seen = new Set<string>();
    const failures: string[] = [];
    const outcomes = new Map<string, number>();
    const started = Date.now();

    async function explore(scenario: string, faults: Faults, operator: readonly OperatorAction[]): Promise<void> {
      const key = keyOf(scenario, faults, operator);
      if (seen.has(key)) return;
      seen.add(key);
      const t0 = Date.now();
      const report = await rig.run(scheduleOf(scenario, faults, operator), { busyTickMs: 120_000 });
      const outcome = `${report.parkedFrom.length > 0 ? 'parked→' : ''}${report.state.status}`;
      outcomes.set(outcome, (outcomes.get(outcome) ?? 0) + 1);
      // The operator's cancellation, when the order accepted it, is the only other way to end.
      const ends = report.state.cancellation ? OrderStatus.CANCELLED : SCENARIOS[scenario]!.ends;
      if (report.state.status !== ends)
        report.violations.push(`ended ${report.state.status}, not ${ends}: ${report.state.lastError?.message ?? ''}`);
      if (report.violations.length > 0) failures.push(`${key}\n    - ${report.violations.join('\n    - ')}`);
      if (process.env.EXHAUSTIVE_TRACE)
        process.stderr.write(`${seen.size} ${outcome} ticks=${report.ticks} ${Date.now() - t0} ms: ${key}\n`);
      else if (seen.size % 50 === 0)
        process.stderr.write(
          `exhaustive fault schedules: ${seen.size} explored, ${((Date.now() - started) / 1000).toFixed(0)} s\n`,
        );

      // Another move at a park the run reached with the default retry.
      for (let park = operator.length; park < Math.min(report.parkedFrom.length, MAX_PARKS); park++)
        for (const move of MOVES) await explore(scenario, faults, [...report.actions.slice(0, park), move]);

      // One more faulted call, among the calls this run made.
      if (faults.size >= MAX_FAULTS) return;
      const called = new Set(report.calls.map((c) => c.op));
      for (const op of EFFECTFUL_OPERATIONS.filter((o) => called.has(o) && !faults.has(o)))
        for (const kind of KINDS) await explore(scenario, new Map([...faults, [op, kind]]), operator);
    }

    // One at a time: the time-skipping server takes one sleeper at once.
    for (const scenario of Object.keys(SCENARIOS)) await explore(scenario, new Map(), []);

    const seconds = ((Date.now() - started) / 1000).toFixed(1);
    const summary = [...outcomes]
      .sort()
      .map(([o, n]) => `${o}=${n}`)
      .join(' ');
    process.stderr.write(
      `exhaustive fault schedules: explored ${seen.size} schedules (up to ${MAX_FAULTS} faulted calls, operator moves at ${MAX_PARKS} parks) in ${seconds} s; outcomes ${summary}\n`,
    );
    assert.deepEqual(failures, [], `${failures.length} schedules broke the invariants`);
    // The bound reaches every kind of ending, so a pruning bug cannot shrink it to nothing unnoticed.
    for (const end of ['COMPLETED', 'TRANSACTION_REVOKED', 'REJECTED', 'parked→CANCELLED', 'parked→COMPLETED'])
      assert.ok(outcomes.has(end), `no explored schedule ended ${end}`);
  },
);
