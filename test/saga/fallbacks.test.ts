import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DownstreamTimeoutError, DownstreamUnavailableError } from '../../src/activities/errors';
import { OrderStatus } from '../../src/workflows/order-status';
import { orderInput, setUpSaga, withSagaWorker, type Saga } from './harness';

let saga: Saga;
before(async () => {
  saga = await setUpSaga();
});
after(async () => {
  await saga?.env.teardown();
});

const unavailable = (downstream: string) => () => new DownstreamUnavailableError(downstream, '503 Service Unavailable');
const fallbackLines = (logs: { message: string; attrs: Record<string, unknown> }[]) => logs.filter((l) => l.message === 'order fallback').map((l) => [l.attrs.step, l.attrs.from, l.attrs.to]);

test('primary carrier breaker open: the dispatch fails fast and goes to the backup carrier', async () => {
  await withSagaWorker(
    saga,
    async ({ fakes, logs, breakers, start }) => {
      fakes.faults.failAlways('carrier.primary', unavailable('carrier'));
      const input = orderInput();
      const state = await (await start(input)).result();

      assert.equal(state.status, OrderStatus.COMPLETED);
      assert.equal(state.shipment?.carrier, 'backup');
      assert.equal(fakes.carriers.backup.shipments.size, 1);
      assert.equal(fakes.carriers.primary.shipments.size, 0);
      // Five failures opened the breaker; the sixth attempt failed fast and ended the primary's retries.
      assert.equal(fakes.faults.callsOf('carrier.primary').length, 5);
      assert.equal(breakers?.state('carrierPrimary'), 'open');
      assert.equal(state.attempts.dispatchShipment, 7, '6 on the primary, 1 on the backup');
      assert.equal(state.fallbacks?.length, 1);
      const [fallback] = state.fallbacks ?? [];
      assert.deepEqual([fallback!.step, fallback!.from, fallback!.to], ['dispatchShipment', 'primary', 'backup']);
      assert.match(fallback!.reason, /^CircuitOpen: /);
      assert.deepEqual(fallbackLines(logs), [['dispatchShipment', 'primary', 'backup']]);
      assert.equal(fakes.payments.netCharged(), input.total, 'charged once, shipped once');
    },
    { breakers: true },
  );
});

test('primary carrier retry budget runs out (no breaker in the way): the backup carrier ships', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    fakes.faults.failAlways('carrier.primary', () => new DownstreamTimeoutError('carrier', 'no answer within 10000 ms'));
    const state = await (await start(orderInput())).result();
    assert.equal(state.status, OrderStatus.COMPLETED);
    assert.equal(state.shipment?.carrier, 'backup');
    assert.equal(fakes.faults.callsOf('carrier.primary').length, 10, 'every attempt of the shipping policy');
    assert.match(state.fallbacks?.[0]?.reason ?? '', /^DownstreamTimeout: /);
  });
});

test('fraud model down: the rules scorer decides, and the order says so', async () => {
  await withSagaWorker(
    saga,
    async ({ fakes, logs, start }) => {
      fakes.faults.failAlways('fraud.model', unavailable('fraud'));
      const state = await (await start(orderInput())).result();
      assert.equal(state.status, OrderStatus.COMPLETED);
      assert.equal(state.fraud?.scorer, 'rules');
      assert.equal(state.attempts.scoreFraud, 5);
      assert.equal(state.attempts.scoreFraudByRules, 1);
      assert.equal(fakes.faults.callsOf('fraud.rules').length, 1);
      assert.deepEqual(
        state.fallbacks?.map((f) => [f.step, f.from, f.to]),
        [['scoreFraud', 'model', 'rules']],
      );
      assert.deepEqual(fallbackLines(logs), [['scoreFraud', 'model', 'rules']]);
    },
    { breakers: true },
  );
});

test('notifications down: the order is COMPLETED before the mail is tried, and the failed mail is recorded, not raised', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    fakes.faults.failAlways('notifications.send', unavailable('notifications'));
    const state = await (await start(orderInput())).result();
    assert.equal(state.status, OrderStatus.COMPLETED);
    assert.equal(state.attempts.notifyCustomer, 5);
    assert.deepEqual(state.lastError && [state.lastError.step, state.lastError.type], ['notifyCustomer', 'DownstreamUnavailable']);
    const [fallback] = state.fallbacks ?? [];
    assert.deepEqual(fallback && [fallback.step, fallback.from, fallback.to], ['notifyCustomer', 'email', 'skipped']);
    // Not delayed: COMPLETED was recorded before the ~15 s of workflow time the mail's retries took.
    const completedAt = Date.parse(state.transitions.at(-1)!.at);
    assert.equal(state.transitions.at(-1)!.to, OrderStatus.COMPLETED);
    assert.ok(Date.parse(fallback!.at) - completedAt >= 15_000, 'the mail retries ran after completion');
    assert.equal(fakes.carriers.primary.shipments.size, 1);
  });
});
