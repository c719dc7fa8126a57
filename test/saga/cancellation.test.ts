import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { cancelOrderUpdate, getOrderStateQuery } from '../../src/workflows/definitions';
import { OrderStatus } from '../../src/workflows/order-status';
import { orderInput, setUpSaga, waitForState, updateRefusal, withSagaWorker, type Saga } from './harness';

let saga: Saga;
before(async () => {
  saga = await setUpSaga();
});
after(async () => {
  await saga?.env.teardown();
});

const cancel = { reason: 'changed my mind', requestedBy: 'customer:cust-1' };

test('cancelled while awaiting approval → inventory released → CANCELLED', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    const handle = await start(orderInput({ policy: { approvalThreshold: 1_000 } }));
    await waitForState(handle, (s) => s.status === OrderStatus.AWAITING_APPROVAL);
    const state = await handle.executeUpdate(cancelOrderUpdate, { args: [cancel] });
    assert.equal(state.status, OrderStatus.CANCELLED);
    assert.deepEqual(
      state.cancellation && { reason: state.cancellation.reason, requestedBy: state.cancellation.requestedBy },
      cancel,
    );
    assert.match(state.transitions.at(-1)!.reason, /cancelled by customer:cust-1: changed my mind/);
    assert.equal(fakes.inventory.stock.get('SKU-1'), 10);
    assert.equal(fakes.faults.callsOf('payments.capture').length, 0);
    assert.equal((await handle.result()).status, OrderStatus.CANCELLED);
  });
});

test('cancelled while a capture that already took effect hangs: the call is aborted, then refunded and released', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    fakes.faults.effectThenHang('payments.capture');
    const input = orderInput();
    const handle = await start(input);
    await waitForState(handle, (s) => s.currentStep === 'capturePayment');
    while (fakes.payments.charges.size === 0) await new Promise((r) => setTimeout(r, 20));

    const state = await handle.executeUpdate(cancelOrderUpdate, { args: [cancel] });
    assert.equal(state.status, OrderStatus.CANCELLED);
    assert.deepEqual(
      state.compensations.map((c) => [c.step, c.status]),
      [
        ['refundPayment', 'completed'],
        ['releaseInventory', 'completed'],
      ],
    );
    assert.equal(state.charge, null, 'the capture never reported back');
    assert.equal(fakes.payments.refunds.length, 1);
    assert.equal(fakes.payments.netCharged(), 0, 'the charge that took effect was refunded');
    assert.equal(fakes.inventory.stock.get('SKU-1'), 10);
    assert.equal(fakes.primaryCarrier.shipments.size, 0);
  });
});

test('cancelled while reserving: the hanging call is aborted; releasing what was never reserved is a no-op', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    fakes.faults.hang('inventory.reserve');
    const handle = await start(orderInput());
    await waitForState(handle, (s) => s.currentStep === 'reserveInventory');
    const state = await handle.executeUpdate(cancelOrderUpdate, { args: [cancel] });
    assert.equal(state.status, OrderStatus.CANCELLED);
    assert.deepEqual(
      state.transitions.map((t) => t.to),
      [OrderStatus.RECEIVED, OrderStatus.COMPENSATING, OrderStatus.CANCELLED],
    );
    assert.equal(fakes.inventory.stock.get('SKU-1'), 10);
    assert.equal(fakes.inventory.reservations.size, 0);
  });
});

test('cancelled while the fraud score (started with the reservation) hangs: CANCELLED at once, stock released', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    fakes.faults.hang('fraudModel.score');
    const handle = await start(orderInput());
    await waitForState(handle, (s) => s.status === OrderStatus.INVENTORY_LOCKED && s.currentStep === 'scoreFraud');
    const state = await handle.executeUpdate(cancelOrderUpdate, { args: [cancel] });
    assert.equal(state.status, OrderStatus.CANCELLED);
    assert.deepEqual(
      state.transitions.map((t) => t.to),
      [OrderStatus.RECEIVED, OrderStatus.INVENTORY_LOCKED, OrderStatus.COMPENSATING, OrderStatus.CANCELLED],
    );
    assert.equal(fakes.inventory.stock.get('SKU-1'), 10);
    assert.equal(fakes.payments.netCharged(), 0);
  });
});

for (const [when, op] of [
  ['while the dispatch is in flight', 'primaryCarrier.dispatch'],
  ['after dispatch', 'inventory.commit'],
] as const) {
  test(`cancellation ${when} is refused with a clear reason and the order is undisturbed`, async () => {
    await withSagaWorker(saga, async ({ fakes, start }) => {
      const open = fakes.faults.gate(op);
      const input = orderInput();
      const handle = await start(input);
      await waitForState(
        handle,
        (s) => s.currentStep === (op === 'primaryCarrier.dispatch' ? 'dispatchShipment' : 'commitInventory'),
      );
      const before = await handle.query(getOrderStateQuery);

      assert.match(
        await updateRefusal(handle.executeUpdate(cancelOrderUpdate, { args: [cancel] })),
        /can no longer be cancelled: the shipment has been dispatched/,
      );
      const afterRefusal = await handle.query(getOrderStateQuery);
      assert.deepEqual(afterRefusal, before);

      open();
      const done = await handle.result();
      assert.equal(done.status, OrderStatus.COMPLETED);
      assert.equal(done.cancellation, null);
      assert.deepEqual(done.compensations, []);
      assert.equal(fakes.payments.netCharged(), input.total);
      assert.equal(fakes.payments.refunds.length, 0);
    });
  });
}
