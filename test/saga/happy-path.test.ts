import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  CustomerIdKey,
  getOrderStateQuery,
  ORDER_WORKFLOW_TYPE,
  OrderCurrencyKey,
  OrderStatusKey,
  OrderTotalKey,
} from '../../src/workflows/definitions';
import { OrderStatus } from '../../src/workflows/order-status';
import { orderInput, setUpSaga, transitionLogs, waitForState, withSagaWorker, type Saga } from './harness';

/** The statuses of an order that completes without a detour. */
const HAPPY_STATUSES = [
  OrderStatus.RECEIVED,
  OrderStatus.INVENTORY_LOCKED,
  OrderStatus.PAYMENT_CAPTURED,
  OrderStatus.SHIPPING_DISPATCHED,
  OrderStatus.COMPLETED,
];

let saga: Saga;
before(async () => {
  saga = await setUpSaga();
});
after(async () => {
  await saga?.env.teardown();
});

test('happy path: reserve, score, capture, dispatch, commit, notify → COMPLETED', async () => {
  await withSagaWorker(saga, async ({ fakes, logs, start }) => {
    const input = orderInput();
    const handle = await start(input);
    const state = await handle.result();

    assert.equal(state.status, OrderStatus.COMPLETED);
    assert.deepEqual(
      state.transitions.map((t) => t.to),
      HAPPY_STATUSES,
    );
    assert.deepEqual(state.attempts, {
      reserveInventory: 1,
      scoreFraud: 1,
      capturePayment: 1,
      dispatchShipment: 1,
      commitInventory: 1,
      notifyCustomer: 1,
    });
    assert.equal(state.lastError, null);
    assert.deepEqual(state.compensations, []);
    assert.equal(state.fraud?.scorer, 'model');
    assert.equal(state.charge?.amount, input.total);
    assert.equal(state.shipment?.carrier, 'primaryCarrier');
    assert.equal(state.currentStep, null);

    // Downstream ledgers: stock consumed and committed, one charge kept, one shipment, one mail.
    assert.equal(fakes.inventory.stock.get('SKU-1'), 8);
    assert.equal(fakes.inventory.stock.get('SKU-2'), 9);
    assert.equal(fakes.inventory.reservations.get(`${input.orderId}:reserveInventory`)?.status, 'committed');
    assert.equal(fakes.payments.netCharged(), input.total);
    assert.equal(fakes.primaryCarrier.shipments.size, 1);
    assert.equal(fakes.notifications.sent.get(`${input.orderId}:notifyCustomer`)?.template, 'order-confirmed');
    // Every call carried the deterministic key of its step.
    for (const call of fakes.faults.calls) assert.match(call.key, new RegExp(`^${input.orderId}:[a-zA-Z]+$`));

    // Telemetry: exactly one structured line per transition.
    const lines = transitionLogs(logs);
    assert.equal(lines.length, state.transitions.length);
    assert.deepEqual(
      lines.map((l) => [l.attrs.from, l.attrs.to]),
      state.transitions.map((t) => [t.from, t.to]),
    );
    for (const l of lines) {
      assert.equal(l.attrs.workflowId, input.orderId);
      assert.equal(l.attrs.orderId, input.orderId);
      assert.equal(typeof l.attrs.reason, 'string');
      assert.ok('attempt' in l.attrs);
    }

    // The query answers the same thing after completion.
    assert.deepEqual(await handle.query(getOrderStateQuery), state);
  });
});

test('a new order writes one patch marker and upserts only its final status, the starter having set the rest', async () => {
  await withSagaWorker(saga, async ({ start, taskQueue }) => {
    const history = async (workflowId: string) =>
      (await saga.env.client.workflow.getHandle(workflowId).fetchHistory()).events ?? [];
    const upserted = (events: Awaited<ReturnType<typeof history>>) =>
      events.flatMap((e) =>
        Object.keys(e.upsertWorkflowSearchAttributesEventAttributes?.searchAttributes?.indexedFields ?? {}),
      );

    // Started as the API starts it, search attributes included: one marker (`score-with-reservation`)
    // standing for every earlier change, and COMPLETED the only status upserted: the order passed
    // through the others faster than STATUS_SETTLE (each a timer, cancelled when it moved on).
    const input = orderInput();
    await (await start(input)).result();
    const events = await history(input.orderId);
    const markers = events.filter((e) => e.markerRecordedEventAttributes);
    assert.equal(markers.length, 1, 'one patch marker');
    assert.deepEqual(upserted(events), ['TemporalChangeVersion', OrderStatusKey.name]);

    // Started by a client that set none (e.g. the temporal CLI): the order tags itself.
    const bare = orderInput();
    await saga.env.client.workflow.execute(ORDER_WORKFLOW_TYPE, { args: [bare], taskQueue, workflowId: bare.orderId });
    const tagged = await saga.env.client.workflow.getHandle(bare.orderId).describe();
    assert.equal(tagged.typedSearchAttributes.get(CustomerIdKey), bare.customer.id);
    assert.equal(tagged.typedSearchAttributes.get(OrderTotalKey), bare.total);
    assert.equal(tagged.typedSearchAttributes.get(OrderStatusKey), OrderStatus.COMPLETED);
    const bareUpserts = upserted(await history(bare.orderId));
    assert.ok(
      bareUpserts.includes(CustomerIdKey.name) && bareUpserts.includes(OrderCurrencyKey.name),
      String(bareUpserts),
    );
  });
});

test('a status the order stays in longer than STATUS_SETTLE is listed; one it leaves sooner is not', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    const open = fakes.faults.gate('payments.capture');
    const input = orderInput();
    const handle = await start(input);
    const listed = async () => (await handle.describe()).typedSearchAttributes.get(OrderStatusKey);

    await waitForState(handle, (s) => s.status === OrderStatus.INVENTORY_LOCKED && s.currentStep === 'capturePayment');
    assert.equal(await listed(), OrderStatus.RECEIVED, 'not listed at once');
    await saga.env.sleep('2 seconds');
    assert.equal(await listed(), OrderStatus.INVENTORY_LOCKED, 'listed once it stayed');

    open();
    const state = await handle.result();
    assert.equal(state.status, OrderStatus.COMPLETED);
    assert.equal(await listed(), OrderStatus.COMPLETED);
    // Every status went through the query state at once, listed or not.
    assert.deepEqual(
      state.transitions.map((t) => t.to),
      HAPPY_STATUSES,
    );
  });
});
