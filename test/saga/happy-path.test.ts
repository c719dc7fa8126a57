import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { getOrderStateQuery } from '../../src/workflows/definitions';
import { OrderStatus } from '../../src/workflows/order-status';
import { orderInput, setUpSaga, transitionLogs, withSagaWorker, type Saga } from './harness';

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
      [
        OrderStatus.RECEIVED,
        OrderStatus.INVENTORY_LOCKED,
        OrderStatus.PAYMENT_CAPTURED,
        OrderStatus.SHIPPING_DISPATCHED,
        OrderStatus.COMPLETED,
      ],
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
