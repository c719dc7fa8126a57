/**
 * The order metrics the workflow emits through the SDK's workflow `metricMeter`
 * (`ORDER_METRICS`, src/workflows/order-recorder.ts). The test runtime has no exporter, so the
 * meter the workers are built with is swapped for one that records every value: the values
 * travel the real path (workflow sandbox → metric sink → the worker's meter) and replay
 * suppression is the SDK's own. This file's process is its own (node:test isolates files), so
 * no other test sees the recording meter.
 */
import assert from 'node:assert/strict';
import { after, before, beforeEach, test } from 'node:test';
import type {
  MetricCounter,
  MetricGauge,
  MetricHistogram,
  MetricMeter,
  MetricTags,
  NumericMetricValueType,
} from '@temporalio/common';
import { Runtime, Worker } from '@temporalio/worker';
import { DownstreamUnavailableError, PaymentDeclinedError, RateLimitedError } from '../../src/activities/errors';
import { cancelOrderUpdate } from '../../src/workflows/definitions';
import { ORDER_METRICS } from '../../src/workflows/order-recorder';
import { OrderStatus } from '../../src/workflows/order-status';
import { orderInput, setUpSaga, waitForState, withSagaWorker, type Saga } from './harness';

interface Recorded {
  kind: 'counter' | 'histogram' | 'gauge';
  name: string;
  unit: string | undefined;
  value: number;
  tags: MetricTags;
}

/** A MetricMeter that keeps every value it is given, with its tags (the worker's and the call's). */
class RecordingMeter implements MetricMeter {
  constructor(
    readonly values: Recorded[],
    private readonly tags: MetricTags = {},
  ) {}
  private push(kind: Recorded['kind'], name: string, unit: string | undefined, value: number, extra?: MetricTags) {
    this.values.push({ kind, name, unit, value, tags: { ...this.tags, ...extra } });
  }
  createCounter(name: string, unit?: string, description?: string): MetricCounter {
    return {
      name,
      unit,
      description,
      kind: 'counter',
      valueType: 'int',
      add: (value, extra) => this.push('counter', name, unit, value, extra),
      withTags: () => assert.fail('not used by the worker'),
    };
  }
  createHistogram(name: string, valueType: NumericMetricValueType = 'int', unit?: string): MetricHistogram {
    return {
      name,
      unit,
      kind: 'histogram',
      valueType,
      record: (value, extra) => this.push('histogram', name, unit, value, extra),
      withTags: () => assert.fail('not used by the worker'),
    };
  }
  createGauge(name: string, valueType: NumericMetricValueType = 'int', unit?: string): MetricGauge {
    return {
      name,
      unit,
      kind: 'gauge',
      valueType,
      set: (value, extra) => this.push('gauge', name, unit, value, extra),
      withTags: () => assert.fail('not used by the worker'),
    };
  }
  withTags(tags: MetricTags): MetricMeter {
    return new RecordingMeter(this.values, { ...this.tags, ...tags });
  }
}

let saga: Saga;
const recorded: Recorded[] = [];
before(async () => {
  saga = await setUpSaga();
  // Worker.create builds each worker's meter from the runtime's (`runtime.metricMeter.withTags`).
  Object.defineProperty(Runtime.instance(), 'metricMeter', { value: new RecordingMeter(recorded) });
});
beforeEach(() => {
  recorded.length = 0;
});
after(async () => {
  await saga?.env.teardown();
});

/** The order metrics of one order's workflow, as `name{label=value,…}` → values. */
function orderMetrics(taskQueue: string): Record<string, number[]> {
  const names: string[] = Object.values(ORDER_METRICS);
  const out: Record<string, number[]> = {};
  for (const { name, value, tags } of recorded) {
    if (!names.includes(name) || tags.taskQueue !== taskQueue) continue;
    const { namespace: _ns, taskQueue: _tq, workflowType: _wt, ...labels } = tags;
    const key = `${name}{${Object.entries(labels)
      .sort(([a], [b]) => a.localeCompare(b))
      .map(([k, v]) => `${k}=${String(v)}`)
      .join(',')}}`;
    (out[key] ??= []).push(value);
  }
  return out;
}

const counts = (metrics: Record<string, number[]>, name: string) =>
  Object.fromEntries(
    Object.entries(metrics)
      .filter(([key]) => key.startsWith(`${name}{`))
      .map(([key, values]) => [key, values.reduce((a, b) => a + b, 0)]),
  );

test('transitions and time per status, once each although every activation replays the history', async () => {
  await withSagaWorker(
    saga,
    async ({ taskQueue, start }) => {
      const state = await (await start(orderInput())).result();
      assert.equal(state.status, OrderStatus.COMPLETED);
      const metrics = orderMetrics(taskQueue);
      assert.deepEqual(counts(metrics, ORDER_METRICS.transitions), {
        'order_transitions{from=none,to=RECEIVED}': 1,
        'order_transitions{from=RECEIVED,to=INVENTORY_LOCKED}': 1,
        'order_transitions{from=INVENTORY_LOCKED,to=PAYMENT_CAPTURED}': 1,
        'order_transitions{from=PAYMENT_CAPTURED,to=SHIPPING_DISPATCHED}': 1,
        'order_transitions{from=SHIPPING_DISPATCHED,to=COMPLETED}': 1,
      });
      // Seconds of workflow time, from the recorded transitions; the terminal status is never left.
      const seconds = (from: string) => {
        const i = state.transitions.findIndex((t) => t.to === from);
        return (Date.parse(state.transitions[i + 1]!.at) - Date.parse(state.transitions[i]!.at)) / 1000;
      };
      const left = ['RECEIVED', 'INVENTORY_LOCKED', 'PAYMENT_CAPTURED', 'SHIPPING_DISPATCHED'];
      assert.deepEqual(
        Object.keys(metrics).filter((k) => k.startsWith(ORDER_METRICS.statusDuration)),
        left.map((s) => `order_status_duration{status=${s}}`),
      );
      for (const status of left) {
        assert.deepEqual(metrics[`order_status_duration{status=${status}}`], [seconds(status)]);
      }
      const histogram = recorded.find((r) => r.name === ORDER_METRICS.statusDuration);
      assert.equal(histogram?.kind, 'histogram');
      assert.equal(histogram?.unit, 'seconds');
      assert.equal(histogram?.tags.workflowType, 'orderFulfillment', 'the SDK adds the workflow type');
    },
    { worker: { maxCachedWorkflows: 0 } },
  );
});

test('an SLA breach, a park, and the compensations of its cancellation; a fallback', async () => {
  await withSagaWorker(saga, async ({ taskQueue, fakes, start }) => {
    fakes.faults.failAlways('payments.capture', () => new RateLimitedError('payments', 'too many requests', 60_000));
    const handle = await start(orderInput());
    await waitForState(handle, (s) => s.currentStep === 'capturePayment');
    await saga.env.sleep('10 minutes');
    await waitForState(handle, (s) => s.status === OrderStatus.NEEDS_ATTENTION && s.sla?.alert.status === 'sent');
    await handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'gave up', requestedBy: 'ops' }] });

    fakes.faults.heal('payments.capture');
    fakes.faults.failAlways('primaryCarrier.dispatch', () => new DownstreamUnavailableError('carrier', '503'));
    assert.equal((await (await start(orderInput())).result()).status, OrderStatus.COMPLETED);

    const metrics = orderMetrics(taskQueue);
    assert.deepEqual(counts(metrics, ORDER_METRICS.slaBreaches), { 'order_sla_breaches{status=INVENTORY_LOCKED}': 1 });
    assert.deepEqual(counts(metrics, ORDER_METRICS.parked), { 'order_parked{step=capturePayment}': 1 });
    assert.deepEqual(counts(metrics, ORDER_METRICS.compensations), {
      'order_compensations{action=refundPayment,outcome=completed}': 1,
      'order_compensations{action=releaseInventory,outcome=completed}': 1,
    });
    assert.deepEqual(counts(metrics, ORDER_METRICS.fallbacks), { 'order_fallbacks{step=dispatchShipment}': 1 });
    // The breach came 300 s after the entry: INVENTORY_LOCKED was left after ≈ 9 min of retries.
    const locked = metrics['order_status_duration{status=INVENTORY_LOCKED}'] ?? [];
    assert.ok(
      locked.some((s) => s > 300),
      `INVENTORY_LOCKED for ${locked.join(', ')} s`,
    );
  });
});

test('a failed compensation is counted as such; replaying a history records nothing', async () => {
  const history = await withSagaWorker(saga, async ({ taskQueue, fakes, start }) => {
    fakes.faults
      .fail('payments.capture', 1, () => new PaymentDeclinedError('payments', 'card declined'))
      .failAlways('inventory.release', () => new DownstreamUnavailableError('inventory', '503'));
    const handle = await start(orderInput());
    await saga.env.sleep('1 hour');
    await waitForState(handle, (s) => s.status === OrderStatus.NEEDS_ATTENTION);
    const metrics = orderMetrics(taskQueue);
    assert.deepEqual(counts(metrics, ORDER_METRICS.compensations), {
      'order_compensations{action=refundPayment,outcome=completed}': 1,
      'order_compensations{action=releaseInventory,outcome=failed}': 1,
    });
    assert.deepEqual(counts(metrics, ORDER_METRICS.parked), { 'order_parked{step=releaseInventory}': 1 });
    await handle.terminate('test over');
    return handle.fetchHistory();
  });

  recorded.length = 0;
  await Worker.runReplayHistory({ workflowBundle: saga.bundle }, history);
  const names: string[] = Object.values(ORDER_METRICS);
  assert.deepEqual(
    recorded.filter((r) => names.includes(r.name)),
    [],
  );
});
