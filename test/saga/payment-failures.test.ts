import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import {
  DownstreamUnavailableError,
  FraudSuspectedError,
  InsufficientFundsError,
  PaymentDeclinedError,
} from '../../src/activities/errors';
import type { OrderState } from '../../src/workflows/definitions';
import { FailureType } from '../../src/workflows/failures';
import { OrderStatus } from '../../src/workflows/order-status';
import { orderInput, setUpSaga, TEST_BACKOFF, transitionLogs, withSagaWorker, type Saga } from './harness';

let saga: Saga;
before(async () => {
  saga = await setUpSaga();
});
after(async () => {
  await saga?.env.teardown();
});

const definitive = [
  [FailureType.PaymentDeclined, () => new PaymentDeclinedError('payments', 'card declined')],
  [FailureType.InsufficientFunds, () => new InsufficientFundsError('payments', 'insufficient funds')],
  [FailureType.FraudSuspected, () => new FraudSuspectedError('payments', 'issuer suspects fraud')],
] as const;

for (const [type, error] of definitive) {
  test(`${type} at capture → COMPENSATING → inventory released → TRANSACTION_REVOKED`, async () => {
    await withSagaWorker(saga, async ({ fakes, logs, start }) => {
      fakes.faults.fail('payments.capture', 1, error);
      const input = orderInput();
      const state = await (await start(input)).result();

      assert.equal(state.status, OrderStatus.TRANSACTION_REVOKED);
      assert.deepEqual(
        state.transitions.map((t) => t.to),
        [OrderStatus.RECEIVED, OrderStatus.INVENTORY_LOCKED, OrderStatus.COMPENSATING, OrderStatus.TRANSACTION_REVOKED],
      );
      assert.equal(state.lastError?.type, type);
      assert.equal(state.lastError?.step, 'capturePayment');
      assert.equal(state.attempts.capturePayment, 1, 'a definitive failure is not retried');
      // Undone newest first: the (no-op) refund, then the release.
      assert.deepEqual(
        state.compensations.map((c) => [c.step, c.status]),
        [
          ['refundPayment', 'completed'],
          ['releaseInventory', 'completed'],
        ],
      );
      // Stock is back in the ledger; nothing is charged.
      assert.equal(fakes.inventory.stock.get('SKU-1'), 10);
      assert.equal(fakes.inventory.stock.get('SKU-2'), 10);
      assert.equal(fakes.inventory.reservations.get(`${input.orderId}:reserveInventory`)?.status, 'released');
      assert.equal(fakes.payments.netCharged(), 0);
      assert.equal(fakes.primaryCarrier.shipments.size, 0);
      assert.equal(transitionLogs(logs).length, state.transitions.length);
    });
  });
}

test('a fraud score at or above the review band → FraudSuspected → TRANSACTION_REVOKED, no charge attempted', async () => {
  await withSagaWorker(
    saga,
    async ({ fakes, start }) => {
      const state = await (await start(orderInput())).result();
      assert.equal(state.status, OrderStatus.TRANSACTION_REVOKED);
      assert.equal(state.lastError?.type, FailureType.FraudSuspected);
      assert.equal(state.lastError?.step, 'scoreFraud');
      assert.equal(state.fraud?.score, 0.9);
      assert.deepEqual(state.fraud?.reasons, ['velocity']);
      assert.equal(fakes.faults.callsOf('payments.capture').length, 0);
      assert.equal(fakes.inventory.stock.get('SKU-1'), 10);
    },
    { fakes: { fraudScore: 0.9, fraudReasons: ['velocity'] } },
  );
});

test('out of stock → REJECTED, nothing held', async () => {
  await withSagaWorker(
    saga,
    async ({ fakes, start }) => {
      const state = await (await start(orderInput())).result();
      assert.equal(state.status, OrderStatus.REJECTED);
      assert.equal(state.lastError?.type, FailureType.OutOfStock);
      assert.deepEqual(state.compensations, [
        { step: 'releaseInventory', status: 'completed', at: state.compensations[0]?.at },
      ]);
      assert.equal(fakes.inventory.stock.get('SKU-1'), 1);
      // Scored alongside the reservation, the order's score never counted: no stock, no score.
      assert.equal(fakes.faults.callsOf('fraudModel.score').length, 1);
      assert.equal(state.fraud, null);
    },
    { fakes: { stock: { 'SKU-1': 1, 'SKU-2': 10 } } },
  );
});

test('transient failures are retried with exponential backoff, then the order completes', async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    fakes.faults.fail(
      'payments.capture',
      3,
      () => new DownstreamUnavailableError('payments', '503 Service Unavailable'),
    );
    const state = await (await start(orderInput())).result();
    assert.equal(state.status, OrderStatus.COMPLETED);
    assert.equal(state.attempts.capturePayment, 4);
    assert.equal(state.transitions.find((t) => t.to === OrderStatus.PAYMENT_CAPTURED)?.attempt, 4);
    assert.equal(fakes.payments.charges.size, 1, 'one charge, whatever the retries');
    // Workflow time spent on the retries: base × 2^(attempt-1) each (jitter fixed at 0 here): 1 + 2 + 4 s.
    const waited = workflowTimeBetween(state, OrderStatus.INVENTORY_LOCKED, OrderStatus.PAYMENT_CAPTURED);
    const expected = TEST_BACKOFF.baseMs * (1 + 2 + 4);
    assert.ok(
      waited >= expected && waited < expected + 1_000,
      `waited ${waited} ms of workflow time, expected ≈ ${expected}`,
    );
  });
});

test("a 429's Retry-After is the delay before the next attempt", async () => {
  await withSagaWorker(saga, async ({ fakes, start }) => {
    fakes.faults.rateLimit('inventory.reserve', 1, 45_000);
    const state = await (await start(orderInput())).result();
    assert.equal(state.status, OrderStatus.COMPLETED);
    assert.equal(state.attempts.reserveInventory, 2);
    const waited = workflowTimeBetween(state, OrderStatus.RECEIVED, OrderStatus.INVENTORY_LOCKED);
    assert.ok(waited >= 45_000 && waited < 46_000, `waited ${waited} ms of workflow time`);
    assert.equal(fakes.faults.callsOf('inventory.reserve').length, 2);
  });
});

function workflowTimeBetween(state: OrderState, from: OrderStatus, to: OrderStatus): number {
  const at = (s: OrderStatus) => Date.parse(state.transitions.find((t) => t.to === s)!.at);
  return at(to) - at(from);
}
