import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { DownstreamTimeoutError, DownstreamUnavailableError } from '../../src/activities/errors';
import { retryParkedOrderUpdate } from '../../src/workflows/definitions';
import { OrderStatus } from '../../src/workflows/order-status';
import { orderInput, setUpSaga, waitForState, withSagaWorker, type Saga } from './harness';

let saga: Saga;
before(async () => {
  saga = await setUpSaga();
});
after(async () => {
  await saga?.env.teardown();
});

const unavailable = (downstream: string) => () => new DownstreamUnavailableError(downstream, '503 Service Unavailable');
const fallbackLines = (logs: { message: string; attrs: Record<string, unknown> }[]) =>
  logs.filter((l) => l.message === 'order fallback').map((l) => [l.attrs.step, l.attrs.from, l.attrs.to]);

test('primary carrier down: an order whose requests reached it parks until it can void them; the next order, meeting the open breaker, ships with the backup at once', async () => {
  await withSagaWorker(
    saga,
    async ({ fakes, logs, breakers, start }) => {
      fakes.faults.failAlways('primaryCarrier.dispatch', unavailable('carrier'));
      // Five 503s open the breaker; this order's requests reached the primary, so before the
      // backup may ship it must void them, and the primary (breaker open) cannot confirm.
      const first = await start(orderInput());
      try {
        // Let the retries (and the void's) run their course in skipped time.
        await saga.env.sleep('10 minutes');
        const parked = await waitForState(first, (s) => s.status === OrderStatus.NEEDS_ATTENTION);
        assert.equal(parked.lastError?.step, 'voidShipment');
        assert.match(parked.parked?.reason ?? '', /^dispatchShipment: retries ran out \(CircuitOpen/);
        assert.equal(fakes.backupCarrier.shipments.size, 0, 'nothing ships while the primary may have shipped');
        assert.equal(fakes.faults.callsOf('primaryCarrier.dispatch').length, 5);
        assert.equal(breakers?.state('primaryCarrier'), 'open');

        // Nothing of this order can have reached the primary: its first attempt failed fast.
        const input = orderInput();
        const state = await (await start(input)).result();
        assert.equal(state.status, OrderStatus.COMPLETED);
        assert.equal(state.shipment?.carrier, 'backupCarrier');
        assert.equal(state.attempts.dispatchShipment, 2, '1 on the primary (breaker open), 1 on the backup');
        assert.equal(state.attempts.voidShipment, undefined, 'no void needed');
        assert.equal(
          fakes.faults.callsOf('primaryCarrier.dispatch').length,
          5,
          'the open breaker kept the call from the primary',
        );
        assert.equal(fakes.backupCarrier.shipments.size, 1);
        const [fallback] = state.fallbacks ?? [];
        assert.deepEqual(
          [fallback!.step, fallback!.from, fallback!.to],
          ['dispatchShipment', 'primaryCarrier', 'backupCarrier'],
        );
        assert.match(fallback!.reason, /^CircuitOpen: /);
        assert.deepEqual(fallbackLines(logs), [['dispatchShipment', 'primaryCarrier', 'backupCarrier']]);
        assert.equal(fakes.payments.netCharged(), input.total * 2, 'both orders charged once');
      } finally {
        await first.terminate('test done').catch(() => undefined);
      }
    },
    { breakers: true },
  );
});

test('primary carrier retry budget runs out (no breaker in the way): its dispatch is voided, then the backup carrier ships', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    fakes.faults.failAlways(
      'primaryCarrier.dispatch',
      () => new DownstreamTimeoutError('carrier', 'no answer within 10000 ms'),
    );
    const state = await (await start(orderInput())).result();
    assert.equal(state.status, OrderStatus.COMPLETED);
    assert.equal(state.shipment?.carrier, 'backupCarrier');
    assert.equal(fakes.faults.callsOf('primaryCarrier.dispatch').length, 10, 'every attempt of the shipping policy');
    assert.equal(fakes.faults.callsOf('primaryCarrier.voidShipment').length, 1);
    assert.equal(state.attempts.voidShipment, 1);
    assert.match(state.fallbacks?.[0]?.reason ?? '', /^DownstreamTimeout: /);
  });
});

const lostAnswer = () => new DownstreamTimeoutError('carrier', 'no answer within 10000 ms');

test('a primary dispatch that took effect but never answered is voided before the backup ships: one shipment', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    // The first attempt ships but its answer is lost; the other nine attempts time out.
    fakes.faults.effectThen('primaryCarrier.dispatch', lostAnswer).fail('primaryCarrier.dispatch', 9, lostAnswer);
    const state = await (await start(orderInput())).result();
    assert.equal(state.status, OrderStatus.COMPLETED);
    assert.equal(state.shipment?.carrier, 'backupCarrier');
    assert.equal(fakes.primaryCarrier.shipments.size, 0, 'the primary shipment was cancelled');
    assert.equal([...fakes.primaryCarrier.voided.values()].filter(Boolean).length, 1, 'the landed shipment was voided');
    assert.equal(fakes.backupCarrier.shipments.size, 1);
  });
});

test('when the primary cannot confirm a void the order parks; an operator retry finishes the void and ships once with the backup', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    fakes.faults.effectThen('primaryCarrier.dispatch', lostAnswer).fail('primaryCarrier.dispatch', 9, lostAnswer);
    fakes.faults.failAlways('primaryCarrier.voidShipment', lostAnswer);
    const handle = await start(orderInput());
    await saga.env.sleep('10 minutes');
    const parked = await waitForState(handle, (s) => s.status === OrderStatus.NEEDS_ATTENTION).catch(
      async (err: unknown) => {
        await handle.terminate('test failed').catch(() => undefined);
        throw err;
      },
    );
    assert.equal(parked.lastError?.step, 'voidShipment');
    assert.equal(fakes.backupCarrier.shipments.size, 0);
    const [landed] = [...fakes.primaryCarrier.shipments.values()];
    assert.ok(landed, 'the primary shipped, but nobody heard');

    fakes.faults.heal('primaryCarrier.dispatch').heal('primaryCarrier.voidShipment');
    const resumed = await handle.executeUpdate(retryParkedOrderUpdate, {
      args: [{ operator: 'ops:grace', reason: 'primary carrier is back' }],
    });
    assert.notEqual(resumed.status, OrderStatus.NEEDS_ATTENTION);
    const state = await handle.result();
    assert.equal(state.status, OrderStatus.COMPLETED);
    // A void once started is finished, never undone: it may have landed unanswered, and then
    // the primary refuses the key. So the landed shipment is cancelled and the backup ships.
    assert.equal(state.shipment?.carrier, 'backupCarrier');
    assert.equal(fakes.primaryCarrier.voided.get(`${state.orderId}:dispatchShipment`)?.shipmentId, landed.shipmentId);
    assert.equal(fakes.primaryCarrier.shipments.size, 0);
    assert.equal(fakes.backupCarrier.shipments.size, 1);
    assert.equal(
      fakes.faults.callsOf('primaryCarrier.dispatch').length,
      10,
      'no dispatch on the primary after the void',
    );
  });
});

/** Runs `order` until it parks, then heals every carrier and retries it as an operator would. */
async function parkThenRetryWithCarriersBack(
  fakes: Parameters<Parameters<typeof withSagaWorker>[1]>[0]['fakes'],
  handle: Awaited<ReturnType<Parameters<Parameters<typeof withSagaWorker>[1]>[0]['start']>>,
) {
  await saga.env.sleep('15 minutes');
  const parked = await waitForState(handle, (s) => s.status === OrderStatus.NEEDS_ATTENTION).catch(
    async (err: unknown) => {
      await handle.terminate('test failed').catch(() => undefined);
      throw err;
    },
  );
  assert.equal(parked.parked?.step, 'dispatchShipment');
  assert.deepEqual(
    parked.fallbacks?.map((f) => [f.from, f.to]),
    [['primaryCarrier', 'backupCarrier']],
  );
  for (const op of ['primaryCarrier.dispatch', 'primaryCarrier.voidShipment', 'backupCarrier.dispatch'] as const)
    fakes.faults.heal(op);
  await handle.executeUpdate(retryParkedOrderUpdate, {
    args: [{ operator: 'ops:grace', reason: 'carriers are back' }],
  });
  return handle.result();
}

test('a primary dispatch lands unanswered, is voided, the backup is down: after the operator retry the backup ships, never the voided primary', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    fakes.faults.effectThen('primaryCarrier.dispatch', lostAnswer).fail('primaryCarrier.dispatch', 9, lostAnswer);
    fakes.faults.failAlways('backupCarrier.dispatch', unavailable('carrier'));
    const handle = await start(orderInput());
    const state = await parkThenRetryWithCarriersBack(fakes, handle);
    assert.equal(state.status, OrderStatus.COMPLETED);
    assert.equal(state.shipment?.carrier, 'backupCarrier');
    assert.equal(fakes.primaryCarrier.shipments.size, 0, 'the voided primary shipment stays cancelled');
    assert.equal(fakes.backupCarrier.shipments.size, 1, 'exactly one live shipment');
    assert.equal(
      fakes.faults.callsOf('primaryCarrier.dispatch').length,
      10,
      'the retry never went back to the primary',
    );
  });
});

test('a primary that only answers 503 has its key voided, the backup is down: after the operator retry the order completes with the backup', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    fakes.faults.failAlways('primaryCarrier.dispatch', unavailable('carrier'));
    fakes.faults.failAlways('backupCarrier.dispatch', unavailable('carrier'));
    const input = orderInput();
    const handle = await start(input);
    const state = await parkThenRetryWithCarriersBack(fakes, handle);
    assert.equal(state.status, OrderStatus.COMPLETED, `ended ${state.status}: ${state.lastError?.message ?? ''}`);
    assert.equal(state.shipment?.carrier, 'backupCarrier');
    assert.equal(fakes.backupCarrier.shipments.size, 1);
    assert.equal(fakes.primaryCarrier.shipments.size, 0);
    assert.equal(fakes.payments.netCharged(), input.total, 'charged once, not refunded');
  });
});

test('fraud model down: the rules scorer decides, and the order says so', async () => {
  await withSagaWorker(
    saga,
    async ({ fakes, logs, start }) => {
      fakes.faults.failAlways('fraudModel.score', unavailable('fraud'));
      const state = await (await start(orderInput())).result();
      assert.equal(state.status, OrderStatus.COMPLETED);
      assert.equal(state.fraud?.scorer, 'rules');
      assert.equal(state.attempts.scoreFraud, 5);
      assert.equal(state.attempts.scoreFraudByRules, 1);
      assert.equal(fakes.faults.callsOf('fraudRules.score').length, 1);
      assert.deepEqual(
        state.fallbacks?.map((f) => [f.step, f.from, f.to]),
        [['scoreFraud', 'fraudModel', 'fraudRules']],
      );
      assert.deepEqual(fallbackLines(logs), [['scoreFraud', 'fraudModel', 'fraudRules']]);
    },
    { breakers: true },
  );
});

test('notifications down: the mail goes out with the stock commit, the order is COMPLETED without waiting for it, and the failed mail is recorded, not raised', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    fakes.faults.failAlways('notifications.send', unavailable('notifications'));
    const state = await (await start(orderInput())).result();
    assert.equal(state.status, OrderStatus.COMPLETED);
    assert.equal(state.attempts.notifyCustomer, 5);
    assert.deepEqual(state.lastError && [state.lastError.step, state.lastError.type], [
      'notifyCustomer',
      'DownstreamUnavailable',
    ]);
    const [fallback] = state.fallbacks ?? [];
    assert.deepEqual(fallback && [fallback.step, fallback.from, fallback.to], ['notifyCustomer', 'email', 'skipped']);
    // Not delayed: COMPLETED was recorded before the ~15 s of workflow time the mail's retries took.
    const completedAt = Date.parse(state.transitions.at(-1)!.at);
    assert.equal(state.transitions.at(-1)!.to, OrderStatus.COMPLETED);
    assert.ok(Date.parse(fallback!.at) - completedAt >= 15_000, 'the mail retries ran after completion');
    assert.equal(fakes.primaryCarrier.shipments.size, 1);
  });
});
