/**
 * The activities over the real HTTP clients against the reference services, with the
 * services' fault controls: typed failures, retry delays, timeouts, cancellation, and
 * idempotency measured in the services' own ledgers.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, test } from 'node:test';
import { ApplicationFailure, CancelledFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, type OrderActivities } from '../../src/activities';
import { createHttpPorts } from '../../src/activities/clients';
import {
  availableStock,
  downstreamConfigFor,
  http,
  setFaults,
  setStock,
  startTestServices,
  type TestServices,
} from '../services/harness';

let services: TestServices;
let activities: OrderActivities;

/** Runs one activity by name, as the worker would (activities are plain functions of the factory). */
function run<K extends keyof OrderActivities>(
  env: MockActivityEnvironment,
  name: K,
  ...args: Parameters<OrderActivities[K]>
): ReturnType<OrderActivities[K]> {
  const fn = activities[name] as (...a: Parameters<OrderActivities[K]>) => ReturnType<OrderActivities[K]>;
  return env.run(fn, ...args) as ReturnType<OrderActivities[K]>;
}
const BACKOFF = { baseMs: 1_000, maxMs: 30_000, jitterRatio: 0.25, retryAfterCapMs: 60_000 };

before(async () => {
  services = await startTestServices();
  const config = downstreamConfigFor(services, { PAYMENTS_TIMEOUT_MS: '500' });
  activities = createActivities({ ports: createHttpPorts(config), backoff: BACKOFF, random: () => 0.5 });
});
after(async () => {
  await setFaults(services.urls.payments, {});
  await services?.stop();
});

/** An activity environment as if inside workflow `orderId`, on the given attempt. */
function inOrder(orderId: string, attempt = 1) {
  return new MockActivityEnvironment({
    attempt,
    workflowExecution: { workflowId: orderId, runId: randomUUID() },
    heartbeatTimeoutMs: 3_000,
  });
}

async function failureOf(promise: Promise<unknown>): Promise<ApplicationFailure> {
  try {
    await promise;
  } catch (err) {
    assert.ok(err instanceof ApplicationFailure, `expected an ApplicationFailure, got ${String(err)}`);
    return err;
  }
  assert.fail('expected the activity to fail');
}

const payment = (orderId: string, customerId = 'cust-1001') => ({
  orderId,
  customerId,
  amount: 4_200,
  currency: 'EUR',
});

test('reserve and release, each run ten times, act once on the stock ledger', async () => {
  const sku = `SKU-ACT-${randomUUID().slice(0, 6)}`;
  await setStock(services.urls.inventory, sku, 20);
  const orderId = `order-${randomUUID()}`;
  const reservations = [];
  for (let i = 0; i < 10; i++)
    reservations.push(
      await run(inOrder(orderId, i + 1), 'reserveInventory', { orderId, items: [{ sku, quantity: 5 }] }),
    );
  assert.equal(new Set(reservations.map((r) => r.reservationId)).size, 1);
  assert.equal(await availableStock(services.urls.inventory, sku), 15);
  for (let i = 0; i < 10; i++) await run(inOrder(orderId, i + 1), 'releaseInventory', { orderId });
  assert.equal(await availableStock(services.urls.inventory, sku), 20);
});

test('capture and refund, each run ten times, charge and refund once', async () => {
  const orderId = `order-${randomUUID()}`;
  const charges = [];
  for (let i = 0; i < 10; i++) charges.push(await run(inOrder(orderId), 'capturePayment', payment(orderId)));
  assert.equal(new Set(charges.map((c) => c.chargeId)).size, 1);
  for (let i = 0; i < 10; i++) await run(inOrder(orderId), 'refundPayment', { orderId });
  const listed = await http(services.urls.payments, 'GET', `/refunds?orderId=${orderId}`);
  assert.equal((listed.body.refunds as unknown[]).length, 1);
  const chargesListed = await http(services.urls.payments, 'GET', `/charges?orderId=${orderId}`);
  assert.deepEqual(
    (chargesListed.body.charges as { status: string }[]).map((c) => c.status),
    ['refunded'],
  );
});

test('a decline is a non-retryable PaymentDeclined', async () => {
  const orderId = `order-${randomUUID()}`;
  const failure = await failureOf(run(inOrder(orderId), 'capturePayment', payment(orderId, 'cust-declined-7')));
  assert.equal(failure.type, 'PaymentDeclined');
  assert.equal(failure.nonRetryable, true);
});

test("a 429 is retried after the service's Retry-After", async () => {
  await setFaults(services.urls.payments, { rateLimitRate: 1, retryAfterSeconds: 7 });
  try {
    const orderId = `order-${randomUUID()}`;
    const failure = await failureOf(run(inOrder(orderId), 'capturePayment', payment(orderId)));
    assert.equal(failure.type, 'RateLimited');
    assert.equal(failure.nonRetryable, false);
    assert.equal(failure.nextRetryDelay, 7_000);
  } finally {
    await setFaults(services.urls.payments, {});
  }
});

test('a 5xx is retried after base × 2^attempt + jitter', async () => {
  await setFaults(services.urls.payments, { errorRate: 1, errorStatus: 503 });
  try {
    const orderId = `order-${randomUUID()}`;
    const third = await failureOf(run(inOrder(orderId, 3), 'capturePayment', payment(orderId)));
    assert.equal(third.type, 'DownstreamUnavailable');
    assert.equal(third.nonRetryable, false);
    // attempt 3 → base × 2² = 4 s, plus jitter of 0.5 × 25 % of it.
    assert.equal(third.nextRetryDelay, 4_000 + 500);
  } finally {
    await setFaults(services.urls.payments, {});
  }
});

test('a hanging service ends in a DownstreamTimeout, not a stuck activity', async () => {
  await setFaults(services.urls.payments, { hangRate: 1 });
  try {
    const orderId = `order-${randomUUID()}`;
    const failure = await failureOf(run(inOrder(orderId), 'capturePayment', payment(orderId)));
    assert.equal(failure.type, 'DownstreamTimeout');
  } finally {
    await setFaults(services.urls.payments, {});
  }
});

test('cancelling the activity aborts its call to a hanging service', async () => {
  await setFaults(services.urls.payments, { hangRate: 1 });
  try {
    const orderId = `order-${randomUUID()}`;
    const env = inOrder(orderId);
    const running = run(env, 'capturePayment', payment(orderId));
    setTimeout(() => env.cancel(), 100);
    await assert.rejects(running, (err: unknown) => err instanceof CancelledFailure);
  } finally {
    await setFaults(services.urls.payments, {});
  }
});

test('an undeliverable address is a non-retryable AddressRejected', async () => {
  const orderId = `order-${randomUUID()}`;
  const failure = await failureOf(
    run(inOrder(orderId), 'dispatchShipment', {
      orderId,
      address: { name: 'Nobody', line1: 'Nowhere 1', city: 'Void', postalCode: '00000', country: 'GB' },
      items: [{ sku: 'SKU-MUG-001', quantity: 1 }],
    }),
  );
  assert.equal(failure.type, 'AddressRejected');
  assert.equal(failure.nonRetryable, true);
});
