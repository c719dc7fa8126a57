import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { getOrderStateQuery } from '../../src/workflows/definitions';
import { DOWNSTREAMS } from '../../src/workflows/downstreams';
import { OrderStatus } from '../../src/workflows/order-status';
import { orderInput, setUpSaga, waitForState, withSagaWorker, type Saga } from './harness';

async function waitFor(predicate: () => boolean): Promise<void> {
  for (let i = 0; i < 200 && !predicate(); i++) await new Promise((r) => setTimeout(r, 25));
  assert.ok(predicate(), 'condition never held');
}

let saga: Saga;
before(async () => {
  saga = await setUpSaga();
});
after(async () => {
  await saga?.env.teardown();
});

test('a hanging dependency fills only its own bulkhead: orders keep flowing to COMPLETED while its calls pile up', async () => {
  // Two slots per downstream queue. Were every activity on one queue with two slots, the two
  // hanging mails would hold both and the later orders could not even reserve their stock.
  const SLOTS = 2;
  await withSagaWorker(
    saga,
    async ({ fakes, start }) => {
      fakes.faults.hangAlways('notifications.send');
      // First wave: two orders whose mails hang and fill every notification slot.
      const handles = [await start(orderInput()), await start(orderInput())];
      for (const handle of handles) await waitForState(handle, (s) => s.status === OrderStatus.COMPLETED);
      await waitFor(() => fakes.faults.hung.get('notifications.send') === SLOTS);

      // Second wave, while the slots are held. Bounded by the mails' 10 s start-to-close timeout:
      // past it a hung attempt gives its slot back, and this would prove nothing.
      const wave = [await start(orderInput()), await start(orderInput()), await start(orderInput())];
      for (const handle of wave) await waitForState(handle, (s) => s.status === OrderStatus.COMPLETED, 8_000);
      handles.push(...wave);

      // The mails are stuck: the notifications queue holds exactly its slots, the rest wait their turn.
      assert.equal(fakes.faults.hung.get('notifications.send'), SLOTS);
      const described = await Promise.all(handles.map((h) => h.describe()));
      assert.ok(
        described.every((d) => d.status.name === 'RUNNING'),
        'each order still owes its mail',
      );
      const pendingMails = described
        .flatMap((d) => d.raw.pendingActivities ?? [])
        .filter((a) => a.activityType?.name === 'notifyCustomer');
      assert.equal(pendingMails.length, handles.length, 'every order queued a mail');
      assert.equal(fakes.primaryCarrier.shipments.size, handles.length);
      for (const handle of handles)
        assert.equal((await handle.query(getOrderStateQuery)).shipment?.carrier, 'primaryCarrier');
      for (const handle of handles) await handle.terminate('test over');
    },
    { bulkheads: Object.fromEntries(DOWNSTREAMS.map((downstream) => [downstream, SLOTS])) },
  );
});
