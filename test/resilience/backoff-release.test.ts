/**
 * Ending retry delays once a downstream is back, against a real Temporal dev server (the
 * time-skipping test server has no activity API): the real saga and workers, in-memory
 * downstreams whose failures ask for a 60 s retry delay, and `BackoffRelease` calling
 * Temporal's ResetActivity on the orders one visibility query finds. Then the whole loop: an open
 * breaker's probe sees payments healthy again and the order completes within seconds, not after
 * the delay.
 */
import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, before, describe, test } from 'node:test';
import { Client, type WorkflowHandle } from '@temporalio/client';
import { defaultPayloadConverter } from '@temporalio/common';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, type WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createActivities, type BackoffSettings } from '../../src/activities';
import { DownstreamUnavailableError } from '../../src/activities/errors';
import { DownstreamBreakers, withCircuitBreakers } from '../../src/activities/resilience/circuit-breakers';
import { createBackoffReleaseMetrics } from '../../src/activities/resilience/metrics';
import { Registry } from 'prom-client';
import {
  BackoffRelease,
  forEachConcurrently,
  isNotFound,
  isWaitingForRetry,
  RELEASE_TARGETS,
  releaseQuery,
} from '../../src/temporal/backoff-release';
import { createOrderWorkers, runWorkersUntil } from '../../src/temporal/workers';
import {
  getOrderStateQuery,
  ORDER_WORKFLOW_TYPE,
  orderSearchAttributes,
  type OrderState,
} from '../../src/workflows/definitions';
import { orderStartMetadata, type OrderInput } from '../../src/workflows/order-types';
import { ledgerViolations } from '../../src/services/ledger-invariant';
import { FakePorts } from '../harness/fake-ports';
import { createLocalEnv, eventually } from '../harness/temporal';
import { orderInput } from '../saga/harness';

/** Every transient failure asks Temporal for a 60 s delay before the next attempt. */
const LONG_BACKOFF: BackoffSettings = { baseMs: 60_000, maxMs: 60_000, jitterRatio: 0, retryAfterCapMs: 60_000 };
const unavailable = () => new DownstreamUnavailableError('payments', 'payments answered POST /charges with HTTP 503');

type OrderWorkflow = (input: OrderInput) => Promise<OrderState>;

interface Lines {
  lines: { level: string; obj: Record<string, unknown>; msg: string }[];
  logger: {
    info(obj: object, msg: string): void;
    warn(obj: object, msg: string): void;
    debug(obj: object, msg: string): void;
  };
}
function capture(): Lines {
  const lines: Lines['lines'] = [];
  const push = (level: string) => (obj: object, msg: string) =>
    void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  return { lines, logger: { info: push('info'), warn: push('warn'), debug: push('debug') } };
}

let env: TestWorkflowEnvironment;
let bundle: WorkflowBundleWithSourceMap;
let client: Client;
let seq = 0;

before(async () => {
  [env, bundle] = await Promise.all([
    createLocalEnv(),
    bundleWorkflowCode({
      workflowsPath: require.resolve('../../src/workflows/order-fulfillment'),
      logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
    }),
  ]);
  // As the worker builds it: a Client on the worker's NativeConnection.
  client = new Client({ connection: env.nativeConnection, namespace: env.namespace ?? 'default' });
});
after(() => env?.teardown());

interface Run {
  taskQueue: string;
  fakes: FakePorts;
  start: (input: OrderInput) => Promise<WorkflowHandle<OrderWorkflow>>;
}

/** The production worker set on a fresh queue, serving fakes (behind `breakers`, if given), while `fn` runs. */
async function withWorkers<T>(fn: (run: Run) => Promise<T>, breakers?: DownstreamBreakers): Promise<T> {
  const taskQueue = `release-${process.pid}-${++seq}`;
  const fakes = new FakePorts();
  const workers = await createOrderWorkers({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities: createActivities({
      ports: breakers ? withCircuitBreakers(fakes.ports, breakers) : fakes.ports,
      alerts: fakes.alerts.port,
      backoff: LONG_BACKOFF,
      random: () => 0,
    }),
    common: { maxHeartbeatThrottleInterval: '100 ms' },
  });
  const start = (input: OrderInput) =>
    env.client.workflow.start<OrderWorkflow>(ORDER_WORKFLOW_TYPE, {
      args: [input],
      taskQueue,
      workflowId: input.orderId,
      typedSearchAttributes: orderSearchAttributes(input),
      ...orderStartMetadata(input),
    });
  return runWorkersUntil(workers, () => fn({ taskQueue, fakes, start }));
}

/** Waits until the order's `activity` failed and waits (at least 30 s more) for its next attempt. */
async function waitingForRetry(handle: WorkflowHandle, activity: string) {
  return eventually(`${activity} waiting for its retry`, async () => {
    const { raw } = await handle.describe();
    const pending = raw.pendingActivities?.find((a) => a.activityType?.name === activity);
    const next = pending?.nextAttemptScheduleTime?.seconds;
    return next && Number(next) * 1000 > Date.now() + 30_000 ? pending : undefined;
  });
}

/** Waits until visibility lists `count` orders for the release query of `downstream`. */
async function visible(taskQueue: string, downstream: keyof typeof RELEASE_TARGETS, count: number) {
  await eventually(`${count} order(s) visible`, async () => {
    const { count: n } = await client.workflow.count(releaseQuery(taskQueue, downstream));
    return n === count ? n : undefined;
  });
}

async function status(handle: WorkflowHandle) {
  return (await handle.query(getOrderStateQuery)).status;
}

describe('backoff release on a dev server', () => {
  test('an activity in a 60 s retry delay runs again right after the release; other statuses are not looked at', async (t) => {
    await withWorkers(async ({ taskQueue, fakes, start }) => {
      fakes.faults.failAlways('payments.capture', unavailable);
      const waiting = await start(orderInput());
      // Above the approval threshold: waits in AWAITING_APPROVAL, where no payment activity can be pending.
      const approving = await start(orderInput({ policy: { approvalThreshold: 1 } }));
      const pending = await waitingForRetry(waiting, 'capturePayment');
      assert.equal(pending.attempt, 2, 'attempt 1 failed; attempt 2 is due in 60 s');
      await eventually('the approval gate', async () =>
        (await status(approving)) === 'AWAITING_APPROVAL' ? true : undefined,
      );
      await visible(taskQueue, 'payments', 1);

      fakes.faults.heal('payments.capture');
      const { lines, logger } = capture();
      const registry = new Registry();
      const release = new BackoffRelease({
        client,
        taskQueue,
        logger,
        metrics: createBackoffReleaseMetrics(registry, ['payments']),
      });
      const releasedAt = Date.now();
      const summary = await release.release('payments', 'probe');
      assert.deepEqual(
        { orders: summary.orders, activitiesReset: summary.activitiesReset, failed: summary.failed },
        { orders: 1, activitiesReset: 1, failed: 0 },
      );
      const state = await waiting.result();
      const tookMs = Date.now() - releasedAt;
      assert.equal(state.status, 'COMPLETED');
      assert.ok(tookMs < 5_000, `completed ${tookMs} ms after the release, not after the 60 s delay`);
      t.diagnostic(`COMPLETED ${tookMs} ms after the release (the retry delay was 60 s)`);
      assert.equal(fakes.faults.callsOf('payments.capture').length, 2, 'one failed attempt, one after the release');
      assert.deepEqual(
        ledgerViolations({ status: state.status, total: state.order.total }, fakes.ledgerOf(state.orderId)),
        [],
      );

      const line = lines.find((l) => l.msg === 'backoff release');
      assert.ok(line, JSON.stringify(lines));
      assert.equal(line.level, 'info');
      assert.deepEqual(
        { ...line.obj, ms: typeof line.obj.ms },
        { downstream: 'payments', trigger: 'probe', orders: 1, activitiesReset: 1, failed: 0, ms: 'number' },
      );
      const metrics = await registry.metrics();
      assert.match(metrics, /backoff_released_activities_total\{downstream="payments"\} 1/);
      assert.match(metrics, /backoff_releases_total\{downstream="payments",trigger="probe"\} 1/);

      // Nothing waits any more: a second release looks at no order and resets nothing.
      await visible(taskQueue, 'payments', 0);
      const again = await release.release('payments', 'closed');
      assert.deepEqual([again.orders, again.activitiesReset, again.failed], [0, 0, 0]);
      assert.equal(await status(approving), 'AWAITING_APPROVAL');
      await approving.terminate('test over');
    });
  });

  test('two workers releasing the same order at once: harmless, the order is charged once', async (t) => {
    await withWorkers(async ({ taskQueue, fakes, start }) => {
      fakes.faults.failAlways('payments.capture', unavailable);
      const handles = await Promise.all([start(orderInput()), start(orderInput()), start(orderInput())]);
      for (const handle of handles) await waitingForRetry(handle, 'capturePayment');
      await visible(taskQueue, 'payments', 3);
      fakes.faults.heal('payments.capture');
      const releases = [1, 2].map(() => new BackoffRelease({ client, taskQueue, jitterMs: 0, concurrency: 2 }));
      const summaries = await Promise.all(releases.map((r) => r.release('payments', 'probe')));
      const reset = summaries.reduce((sum, s) => sum + s.activitiesReset, 0);
      assert.ok(reset >= 3 && reset <= 6, `each waiting capture reset once or twice: ${JSON.stringify(summaries)}`);
      t.diagnostic(`3 waiting captures, ${reset} resets by 2 concurrent releases`);
      assert.deepEqual(
        summaries.map((s) => s.failed),
        [0, 0],
      );
      for (const handle of handles) {
        const state = await handle.result();
        assert.equal(state.status, 'COMPLETED');
        assert.deepEqual(
          ledgerViolations({ status: state.status, total: state.order.total }, fakes.ledgerOf(state.orderId)),
          [],
        );
      }
    });
  });

  test('the whole loop: the probe sees payments back, the release runs the capture, the order completes within 5 s', async (t) => {
    let healthy = false;
    const health = http.createServer((_req, res) => void res.writeHead(healthy ? 200 : 503).end());
    await new Promise<void>((resolve) => health.listen(0, '127.0.0.1', resolve));
    const stopping = new AbortController();
    const breakerLog = capture();
    const releaseLog = capture();
    const breakers = new DownstreamBreakers(
      { payments: { threshold: 1, halfOpenAfterMs: 120_000, probeIntervalMs: 200 } },
      { logger: breakerLog.logger },
      {
        urls: { payments: `http://127.0.0.1:${(health.address() as AddressInfo).port}/healthz` },
        timeoutMs: 500,
        signal: stopping.signal,
      },
    );
    try {
      await withWorkers(async ({ taskQueue, fakes, start }) => {
        const release = new BackoffRelease({ client, taskQueue, logger: releaseLog.logger, signal: stopping.signal });
        breakers.onRecovered(release.request);
        fakes.faults.failAlways('payments.capture', unavailable);
        const handle = await start(orderInput());
        await waitingForRetry(handle, 'capturePayment');
        assert.equal(breakers.state('payments'), 'open');
        assert.ok(breakers.isProbing('payments'));
        await visible(taskQueue, 'payments', 1);

        // Payments comes back.
        const backAt = Date.now();
        fakes.faults.heal('payments.capture');
        healthy = true;
        const state = await handle.result();
        const tookMs = Date.now() - backAt;
        assert.equal(state.status, 'COMPLETED');
        assert.ok(tookMs < 5_000, `orders flow again ${tookMs} ms after payments came back`);
        t.diagnostic(`COMPLETED ${tookMs} ms after payments came back (probe every 200 ms, retry delay 60 s)`);
        await release.settled();
        assert.equal(breakers.state('payments'), 'closed');

        assert.deepEqual(
          breakerLog.lines.filter((l) => l.level !== 'debug').map((l) => l.msg),
          [
            'circuit breaker open',
            'probing the downstream while its circuit breaker is open',
            'circuit breaker half-open',
            'circuit breaker closed',
          ],
        );
        const releases = releaseLog.lines.filter((l) => l.msg === 'backoff release').map((l) => l.obj);
        assert.equal(releases[0]?.trigger, 'probe');
        assert.equal(releases[0]?.activitiesReset, 1);
        // The breaker closing on the released capture releases once more: nothing waits by then.
        assert.ok(releases.slice(1).every((r) => r.trigger === 'closed' && r.activitiesReset === 0));
      }, breakers);
    } finally {
      stopping.abort();
      health.closeAllConnections();
      await new Promise<void>((resolve) => health.close(() => resolve()));
    }
  });
  test('NOT_FOUND from Temporal (no such workflow, no such pending activity) is recognised as nothing to do', async () => {
    const namespace = env.namespace ?? 'default';
    const gone = await client.workflowService
      .resetActivity({ namespace, execution: { workflowId: 'no-such-order' }, identity: 'test', id: '1' })
      .catch((err: unknown) => err);
    assert.ok(isNotFound(gone), String(gone));
    await withWorkers(async ({ start }) => {
      const handle = await start(orderInput());
      const state = await handle.result();
      assert.equal(state.status, 'COMPLETED');
      const noActivity = await client.workflowService
        .resetActivity({ namespace, execution: { workflowId: handle.workflowId }, identity: 'test', id: '999' })
        .catch((err: unknown) => err);
      assert.ok(isNotFound(noActivity), String(noActivity));
    });
    assert.ok(!isNotFound(new Error('boom')));
  });
});

describe('what a release touches', () => {
  const now = Date.parse('2025-01-01T00:00:00Z');
  type Pending = Parameters<typeof isWaitingForRetry>[0];
  const at = (ms: number) =>
    ({ seconds: Math.floor(ms / 1000), nanos: 0 }) as unknown as Pending['nextAttemptScheduleTime'];
  const failedOn = (downstream: string | null): Pending['lastFailure'] => ({
    message: 'payments: 503',
    applicationFailureInfo: {
      type: 'DownstreamUnavailable',
      details: { payloads: downstream ? [defaultPayloadConverter.toPayload({ downstream, attempt: 2 })] : [] },
    },
  });
  const pending = (overrides: Partial<Pending> = {}): Pending => ({
    activityId: '7',
    activityType: { name: 'capturePayment' },
    state: 1, // SCHEDULED
    paused: false,
    attempt: 3,
    nextAttemptScheduleTime: at(now + 30_000),
    lastFailure: failedOn('payments'),
    ...overrides,
  });
  const types = new Set(RELEASE_TARGETS.payments.activities);

  test('only activities that failed on the downstream, of its types, scheduled for a later attempt and not paused', () => {
    assert.equal(isWaitingForRetry(pending(), types, 'payments', now), true);
    const reserve = pending({ activityType: { name: 'reserveInventory' } });
    assert.equal(isWaitingForRetry(reserve, types, 'payments', now), false);
    assert.equal(isWaitingForRetry(pending(), types, 'inventory', now), false, 'failed on another downstream');
    const timedOut = pending({ lastFailure: { message: 'activity StartToClose timeout', timeoutFailureInfo: {} } });
    assert.equal(isWaitingForRetry(timedOut, types, 'payments', now), false, 'no downstream named');
    assert.equal(isWaitingForRetry(pending({ lastFailure: failedOn(null) }), types, 'payments', now), false);
    assert.equal(isWaitingForRetry(pending({ state: 2 }), types, 'payments', now), false, 'running');
    const paused = pending({ paused: true });
    assert.equal(isWaitingForRetry(paused, types, 'payments', now), false, 'paused by an operator');
    assert.equal(isWaitingForRetry(pending({ nextAttemptScheduleTime: null }), types, 'payments', now), false);
    const due = pending({ nextAttemptScheduleTime: at(now - 1_000) });
    assert.equal(isWaitingForRetry(due, types, 'payments', now), false);
  });

  test("the carriers share their activity types: the failure's downstream tells them apart", () => {
    const carrierTypes = new Set(RELEASE_TARGETS.backupCarrier.activities);
    const dispatch = (downstream: string) =>
      pending({ activityType: { name: 'dispatchShipment' }, lastFailure: failedOn(downstream) });
    assert.equal(isWaitingForRetry(dispatch('backupCarrier'), carrierTypes, 'backupCarrier', now), true);
    assert.equal(isWaitingForRetry(dispatch('primaryCarrier'), carrierTypes, 'backupCarrier', now), false);
  });

  test("the primary carrier's dispatch is never released (its attempt number is the saga's evidence); its void is", () => {
    assert.deepEqual(RELEASE_TARGETS.primaryCarrier.activities, ['voidShipment']);
    assert.ok(RELEASE_TARGETS.backupCarrier.activities.includes('dispatchShipment'));
  });

  test('one visibility query: running orders of this task queue, in the statuses of the downstream', () => {
    assert.equal(
      releaseQuery('order-fulfillment', 'payments'),
      "WorkflowType = 'orderFulfillment' AND ExecutionStatus = 'Running' AND TaskQueue = 'order-fulfillment' AND OrderStatus IN ('INVENTORY_LOCKED', 'COMPENSATING')",
    );
    assert.match(releaseQuery("it's", 'fraudRules'), /TaskQueue = 'it\\'s' AND OrderStatus IN \('INVENTORY_LOCKED'\)$/);
  });

  test('bounded concurrency: never more than the limit at once, every item done', async () => {
    let inFlight = 0;
    let most = 0;
    const done: number[] = [];
    await forEachConcurrently(
      Array.from({ length: 30 }, (_, i) => i),
      8,
      async (i) => {
        inFlight += 1;
        most = Math.max(most, inFlight);
        await sleep(2);
        done.push(i);
        inFlight -= 1;
      },
    );
    assert.equal(most, 8);
    assert.equal(done.length, 30);
  });
});
