import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { getOrderStateQuery } from '../../src/workflows/definitions';
import { DOWNSTREAMS } from '../../src/workflows/downstreams';
import { FailureType } from '../../src/workflows/failures';
import { OrderStatus } from '../../src/workflows/order-status';
import { eventually } from '../harness/temporal';
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
  // Two calls at a time per downstream, two more waiting. Without bulkheads, the two hanging mails
  // and the ones waiting behind them would take every activity slot of the worker (it has
  // 2 × (2 + 2) = 32 here) and the later orders could not even reserve their stock.
  const LIMIT = 2;
  await withSagaWorker(
    saga,
    async ({ fakes, start }) => {
      fakes.faults.hangAlways('notifications.send');
      // First wave: two orders whose mails hang and take both running places of notifications.
      const handles = [await start(orderInput()), await start(orderInput())];
      for (const handle of handles) await waitForState(handle, (s) => s.status === OrderStatus.COMPLETED);
      await waitFor(() => fakes.faults.hung.get('notifications.send') === LIMIT);

      // Second wave, while the mails hang: two mails wait for a turn, the third is turned away.
      // Bounded by the mails' 10 s start-to-close timeout: past it a hung attempt ends, and this
      // would prove nothing.
      const wave = [await start(orderInput()), await start(orderInput()), await start(orderInput())];
      for (const handle of wave) await waitForState(handle, (s) => s.status === OrderStatus.COMPLETED, 8_000);
      handles.push(...wave);

      // The mails are stuck: notifications runs exactly its limit, the rest wait or retry.
      assert.equal(fakes.faults.hung.get('notifications.send'), LIMIT);
      const described = await Promise.all(handles.map((h) => h.describe()));
      assert.ok(
        described.every((d) => d.status.name === 'RUNNING'),
        'each order still owes its mail',
      );
      const pendingMails = described
        .flatMap((d) => d.raw.pendingActivities ?? [])
        .filter((a) => a.activityType?.name === 'notifyCustomer');
      assert.equal(pendingMails.length, handles.length, 'every order queued a mail');
      // The fifth mail found two running and two waiting: BulkheadFull, retried with backoff.
      assert.equal(
        fakes.faults.callsOf('notifications.send').length,
        LIMIT,
        'only the running mails reached the service',
      );
      const turnedAway = await eventually('a mail turned away by the full bulkhead', async () => {
        const pending = await Promise.all(wave.map((h) => h.describe()));
        return pending
          .flatMap((d) => d.raw.pendingActivities ?? [])
          .find((a) => a.lastFailure?.applicationFailureInfo?.type === FailureType.BulkheadFull);
      });
      assert.match(turnedAway.lastFailure?.message ?? '', /notifications: bulkhead full/);
      assert.equal(fakes.primaryCarrier.shipments.size, handles.length);
      for (const handle of handles)
        assert.equal((await handle.query(getOrderStateQuery)).shipment?.carrier, 'primaryCarrier');
      for (const handle of handles) await handle.terminate('test over');
    },
    { bulkheads: Object.fromEntries(DOWNSTREAMS.map((downstream) => [downstream, LIMIT])) },
  );
});
