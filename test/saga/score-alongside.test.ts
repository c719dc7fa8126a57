/**
 * The fraud score runs alongside the stock reservation (patch `score-with-reservation`) and
 * counts once the stock is locked: what that changes for a happy order, a parked reservation
 * and a cancellation.
 */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DownstreamUnavailableError } from '../../src/activities/errors';
import { cancelOrderUpdate, retryParkedOrderUpdate } from '../../src/workflows/definitions';
import { OrderStatus } from '../../src/workflows/order-status';
import { orderInput, setUpSaga, waitForState, withSagaWorker, type OrderHandle, type Saga } from './harness';

let saga: Saga;
before(async () => {
  saga = await setUpSaga();
});
after(async () => {
  await saga?.env.teardown();
});

/** The activity types scheduled by each workflow task, in order. */
async function scheduledPerTask(handle: OrderHandle): Promise<string[][]> {
  const events = (await handle.fetchHistory()).events ?? [];
  const byTask = new Map<string, string[]>();
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (!scheduled) continue;
    const task = String(scheduled.workflowTaskCompletedEventId);
    byTask.set(task, [...(byTask.get(task) ?? []), scheduled.activityType?.name ?? '?']);
  }
  return [...byTask.values()];
}

test('the score is requested with the reservation, in the first workflow task, and counts once the stock is locked', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    const openReservation = fakes.faults.gate('inventory.reserve');
    const handle = await start(orderInput());
    // The model has answered while the reservation is still held: the order waits for the stock.
    const reserving = await waitForState(
      handle,
      (s) => s.currentStep === 'reserveInventory' && fakes.faults.callsOf('fraudModel.score').length > 0,
    );
    assert.equal(reserving.status, OrderStatus.RECEIVED);
    assert.equal(reserving.fraud, null, 'no score before the stock is locked');

    openReservation();
    const state = await handle.result();
    assert.equal(state.status, OrderStatus.COMPLETED);
    assert.equal(state.fraud?.scorer, 'model');
    assert.equal(state.attempts.scoreFraud, 1);
    assert.equal(fakes.faults.callsOf('fraudModel.score').length, 1);
    assert.deepEqual((await scheduledPerTask(handle))[0], ['reserveInventory', 'scoreFraud']);
  });
});

test('a reservation parks while the score is in: the operator retry locks the stock and uses that score, no second call', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    fakes.faults.failAlways('inventory.reserve', () => new DownstreamUnavailableError('inventory', '503'));
    const handle = await start(orderInput());
    await saga.env.sleep('10 minutes');
    const parked = await waitForState(handle, (s) => s.status === OrderStatus.NEEDS_ATTENTION);
    assert.equal(parked.parked?.step, 'reserveInventory');
    assert.equal(parked.fraud, null);
    assert.equal(fakes.faults.callsOf('fraudModel.score').length, 1);

    fakes.faults.heal('inventory.reserve');
    await handle.executeUpdate(retryParkedOrderUpdate, { args: [{ operator: 'ops:grace', reason: 'stock is back' }] });
    const state = await handle.result();
    assert.equal(state.status, OrderStatus.COMPLETED);
    assert.equal(state.fraud?.scorer, 'model');
    assert.equal(state.attempts.scoreFraud, 1);
    assert.equal(fakes.faults.callsOf('fraudModel.score').length, 1, 'the score from before the park');
  });
});

test('a score that failed alongside the reservation takes the rules scorer once the stock is locked', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    const unavailable = (downstream: string) => () => new DownstreamUnavailableError(downstream, '503');
    // The model's five attempts are over (about 15 s of backoff) long before the stock is locked
    // (five failed reservations first, about 31 s).
    fakes.faults.failAlways('fraudModel.score', unavailable('fraud'));
    fakes.faults.fail('inventory.reserve', 5, unavailable('inventory'));
    const state = await (await start(orderInput())).result();
    assert.equal(state.status, OrderStatus.COMPLETED);
    assert.equal(state.attempts.reserveInventory, 6);
    assert.equal(state.fraud?.scorer, 'rules');
    assert.equal(state.attempts.scoreFraud, 5);
    assert.equal(fakes.faults.callsOf('fraudModel.score').length, 5, 'no fresh call to the model');
    const [fallback] = state.fallbacks ?? [];
    assert.deepEqual([fallback?.step, fallback?.from, fallback?.to], ['scoreFraud', 'fraudModel', 'fraudRules']);
    const locked = state.transitions.find((t) => t.to === OrderStatus.INVENTORY_LOCKED);
    assert.ok(locked && fallback && fallback.at >= locked.at, 'the failure counts once the stock is locked');
  });
});

test('cancelled while the reservation hangs and the score is held: CANCELLED without waiting for the score; the order closes once it has answered', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    fakes.faults.hang('inventory.reserve');
    const answerScore = fakes.faults.gate('fraudModel.score');
    const handle = await start(orderInput());
    await waitForState(
      handle,
      (s) => s.currentStep === 'reserveInventory' && fakes.faults.callsOf('fraudModel.score').length > 0,
    );

    const state = await handle.executeUpdate(cancelOrderUpdate, {
      args: [{ reason: 'changed my mind', requestedBy: 'customer:cust-1' }],
    });
    assert.equal(state.status, OrderStatus.CANCELLED);
    assert.deepEqual(
      state.transitions.map((t) => t.to),
      [OrderStatus.RECEIVED, OrderStatus.COMPENSATING, OrderStatus.CANCELLED],
    );
    assert.equal(state.fraud, null);
    assert.equal(fakes.inventory.stock.get('SKU-1'), 10);
    assert.equal(fakes.inventory.reservations.size, 0);
    assert.equal(fakes.payments.netCharged(), 0);
    assert.equal((await handle.describe()).status.name, 'RUNNING', 'the score has not answered yet');

    answerScore();
    assert.equal((await handle.result()).status, OrderStatus.CANCELLED);
    const events = (await handle.fetchHistory()).events ?? [];
    const cancelRequested = events.filter((e) => e.activityTaskCancelRequestedEventAttributes).length;
    assert.equal(cancelRequested, 1, 'only the reservation was asked to stop; the score never is');
    assert.deepEqual(unclosedActivities(events), [], 'no activity outlives its order');
  });
});

/** The activities scheduled in `events` that never closed (completed, failed, cancelled, timed out). */
function unclosedActivities(events: Awaited<ReturnType<OrderHandle['fetchHistory']>>['events'] & object): string[] {
  const open = new Map<string, string>();
  for (const e of events) {
    const scheduled = e.activityTaskScheduledEventAttributes;
    if (scheduled) open.set(String(e.eventId), scheduled.activityType?.name ?? '?');
    const closed =
      e.activityTaskCompletedEventAttributes ??
      e.activityTaskFailedEventAttributes ??
      e.activityTaskCanceledEventAttributes ??
      e.activityTaskTimedOutEventAttributes;
    if (closed) open.delete(String(closed.scheduledEventId));
  }
  return [...open.values()];
}
