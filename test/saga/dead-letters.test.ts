import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DownstreamUnavailableError } from '../../src/activities/errors';
import { cancelOrderUpdate, getOrderStateQuery, retryParkedOrderUpdate } from '../../src/workflows/definitions';
import { OrderStatus } from '../../src/workflows/order-status';
import { orderInput, setUpSaga, waitForState, withSagaWorker, type Saga } from './harness';

let saga: Saga;
before(async () => {
  saga = await setUpSaga();
});
after(async () => {
  await saga?.env.teardown();
});

const paymentsDown = () => new DownstreamUnavailableError('payments', '503 Service Unavailable');

test('a forward step whose retries run out parks the order with its locks; an operator retry resumes it', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    fakes.faults.failAlways('payments.capture', paymentsDown);
    const input = orderInput();
    const handle = await start(input);
    await saga.env.sleep('1 hour');
    const parked = await waitForState(handle, (s) => s.status === OrderStatus.NEEDS_ATTENTION);

    assert.deepEqual(
      parked.transitions.map((t) => t.to),
      [OrderStatus.RECEIVED, OrderStatus.INVENTORY_LOCKED, OrderStatus.NEEDS_ATTENTION],
      'parked, not compensated, not REJECTED',
    );
    assert.equal(parked.attempts.capturePayment, 10, 'the whole retry budget was used first');
    assert.deepEqual(parked.parked && [parked.parked.step, parked.parked.from, parked.parked.pendingCompensations], [
      'capturePayment',
      OrderStatus.INVENTORY_LOCKED,
      [],
    ]);
    assert.match(parked.parked?.reason ?? '', /capturePayment: retries ran out \(DownstreamUnavailable: /);
    assert.deepEqual(parked.compensations, []);
    // The rule: it keeps its stock lock while parked, and nothing was charged.
    assert.equal(fakes.inventory.stock.get('SKU-1'), 8);
    assert.equal(fakes.payments.charges.size, 0);
    await saga.env.sleep('2 days');
    assert.equal(
      (await handle.query(getOrderStateQuery)).status,
      OrderStatus.NEEDS_ATTENTION,
      'a dead letter waits for an operator',
    );

    fakes.faults.heal('payments.capture');
    const resumed = await handle.executeUpdate(retryParkedOrderUpdate, {
      args: [{ operator: 'ops:grace', reason: 'payments are back' }],
    });
    assert.equal(resumed.status, OrderStatus.COMPLETED);
    assert.equal(resumed.parked, null);
    assert.deepEqual(
      resumed.transitions.slice(2).map((t) => [t.from, t.to]),
      [
        [OrderStatus.INVENTORY_LOCKED, OrderStatus.NEEDS_ATTENTION],
        [OrderStatus.NEEDS_ATTENTION, OrderStatus.INVENTORY_LOCKED],
        [OrderStatus.INVENTORY_LOCKED, OrderStatus.PAYMENT_CAPTURED],
        [OrderStatus.PAYMENT_CAPTURED, OrderStatus.SHIPPING_DISPATCHED],
        [OrderStatus.SHIPPING_DISPATCHED, OrderStatus.COMPLETED],
      ],
    );
    assert.equal(fakes.payments.netCharged(), input.total, 'one charge, under the same key');
    assert.equal((await handle.result()).status, OrderStatus.COMPLETED);
  });
});

test('a dead letter parked before dispatch can be given up: the cancellation releases its locks', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    fakes.faults.failAlways(
      'inventory.reserve',
      () => new DownstreamUnavailableError('inventory', 'connection refused'),
    );
    const handle = await start(orderInput());
    await saga.env.sleep('1 hour');
    const parked = await waitForState(handle, (s) => s.status === OrderStatus.NEEDS_ATTENTION);
    assert.equal(parked.parked?.step, 'reserveInventory');
    assert.equal(parked.parked?.from, OrderStatus.RECEIVED);

    fakes.faults.heal('inventory.reserve');
    const cancelled = await handle.executeUpdate(cancelOrderUpdate, {
      args: [{ reason: 'inventory gone for good', requestedBy: 'ops:grace' }],
    });
    assert.equal(cancelled.status, OrderStatus.CANCELLED);
    assert.equal(cancelled.parked, null);
    assert.deepEqual(
      cancelled.transitions.slice(-3).map((t) => t.to),
      [OrderStatus.NEEDS_ATTENTION, OrderStatus.COMPENSATING, OrderStatus.CANCELLED],
    );
    assert.deepEqual(
      cancelled.compensations.map((c) => [c.step, c.status]),
      [['releaseInventory', 'completed']],
    );
    assert.equal(fakes.inventory.stock.get('SKU-1'), 10);
  });
});

test('when the alternative gives out too, the order parks at that step and the retry resumes on the alternative', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    fakes.faults
      .failAlways('fraudModel.score', () => new DownstreamUnavailableError('fraud', '503'))
      .failAlways('fraudRules.score', () => new DownstreamUnavailableError('fraud', '503'));
    const handle = await start(orderInput());
    await saga.env.sleep('1 hour');
    const parked = await waitForState(handle, (s) => s.status === OrderStatus.NEEDS_ATTENTION);
    assert.equal(parked.parked?.step, 'scoreFraud');
    assert.deepEqual(
      parked.fallbacks?.map((f) => [f.from, f.to]),
      [['fraudModel', 'fraudRules']],
    );

    fakes.faults.heal('fraudModel.score').heal('fraudRules.score');
    const modelCalls = fakes.faults.callsOf('fraudModel.score').length;
    const resumed = await handle.executeUpdate(retryParkedOrderUpdate, { args: [{ operator: 'ops' }] });
    assert.equal(resumed.status, OrderStatus.COMPLETED);
    // A step that left its primary never goes back to it (for a carrier that could ship twice).
    assert.equal(resumed.fraud?.scorer, 'rules');
    assert.equal(fakes.faults.callsOf('fraudModel.score').length, modelCalls, 'the model was not asked again');
  });
});
