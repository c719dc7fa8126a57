import assert from 'node:assert/strict';
import { test } from 'node:test';
import { ApplicationFailure } from '@temporalio/common';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, type OrderActivities } from '../../src/activities';
import { DEFAULT_BACKOFF } from '../../src/activities/backoff';
import {
  AddressRejectedError,
  CircuitOpenError,
  DownstreamTimeoutError,
  DownstreamUnavailableError,
  InsufficientFundsError,
  OutOfStockError,
  PaymentDeclinedError,
  RateLimitedError,
} from '../../src/activities/errors';
import { FailureType, NON_RETRYABLE_FAILURES } from '../../src/workflows/failures';
import { FakePorts } from '../harness/fake-ports';

const workflowId = 'order-act-1';
const lines = [{ sku: 'SKU-1', quantity: 2 }];
const address = { name: 'Ada', line1: '1 Main St', city: 'Paris', postalCode: '75001', country: 'FR' };

function harness(attempt = 1) {
  const fakes = new FakePorts();
  const activities = createActivities({ ports: fakes.ports, backoff: { ...DEFAULT_BACKOFF, jitterRatio: 0 } });
  const env = new MockActivityEnvironment({
    attempt,
    heartbeatTimeoutMs: 1_000,
    workflowExecution: { workflowId, runId: 'run-1' },
  });
  const run = <K extends keyof OrderActivities>(
    name: K,
    ...args: Parameters<OrderActivities[K]>
  ): ReturnType<OrderActivities[K]> =>
    env.run(
      activities[name] as (...a: Parameters<OrderActivities[K]>) => ReturnType<OrderActivities[K]>,
      ...args,
    ) as ReturnType<OrderActivities[K]>;
  return { fakes, env, run };
}

/** Each effectful activity, with the forward steps it needs to have something to act on. */
const effectful: [
  string,
  (run: ReturnType<typeof harness>['run']) => Promise<unknown>,
  ((run: ReturnType<typeof harness>['run']) => Promise<unknown>)?,
][] = [
  ['reserveInventory', (run) => run('reserveInventory', { orderId: workflowId, items: lines })],
  [
    'releaseInventory',
    (run) => run('releaseInventory', { orderId: workflowId }),
    (run) => run('reserveInventory', { orderId: workflowId, items: lines }),
  ],
  [
    'commitInventory',
    (run) => run('commitInventory', { orderId: workflowId }),
    (run) => run('reserveInventory', { orderId: workflowId, items: lines }),
  ],
  [
    'capturePayment',
    (run) => run('capturePayment', { orderId: workflowId, customerId: 'c1', amount: 3_000, currency: 'EUR' }),
  ],
  [
    'refundPayment',
    (run) => run('refundPayment', { orderId: workflowId }),
    (run) => run('capturePayment', { orderId: workflowId, customerId: 'c1', amount: 3_000, currency: 'EUR' }),
  ],
  ['dispatchShipment', (run) => run('dispatchShipment', { orderId: workflowId, address, items: lines })],
  [
    'notifyCustomer',
    (run) =>
      run('notifyCustomer', {
        orderId: workflowId,
        customerId: 'c1',
        email: 'ada@example.com',
        template: 'order-confirmed',
        data: {},
      }),
  ],
  [
    'pageApprovers',
    (run) =>
      run('pageApprovers', {
        orderId: workflowId,
        customerId: 'c1',
        email: 'ada@example.com',
        approvers: ['alice'],
        context: { total: 1 },
      }),
  ],
];

for (const [name, act, setup] of effectful) {
  test(`${name} run twice or ten times leaves the same ledgers as once, and returns the original result`, async () => {
    const ledgers: unknown[] = [];
    for (const times of [1, 2, 10]) {
      const { fakes, run } = harness();
      if (setup) await setup(run);
      const outcomes: unknown[] = [];
      for (let i = 0; i < times; i++) outcomes.push(await act(run));
      for (const o of outcomes) assert.deepEqual(o, outcomes[0], 'a repeat returns the original result');
      ledgers.push(fakes.ledgers());
    }
    assert.deepEqual(ledgers[1], ledgers[0]);
    assert.deepEqual(ledgers[2], ledgers[0]);
  });
}

test('activities send the step key of their workflow, compensations address the forward key, and report the attempt', async () => {
  const { fakes, run } = harness(3);
  const reservation = await run('reserveInventory', { orderId: workflowId, items: lines });
  assert.equal(reservation.attempt, 3);
  const released = await run('releaseInventory', { orderId: workflowId });
  assert.deepEqual({ status: released.status, id: released.id }, { status: 'released', id: reservation.reservationId });
  assert.deepEqual(
    fakes.faults.calls.map((c) => c.key),
    [`${workflowId}:reserveInventory`, `${workflowId}:releaseInventory`],
  );
  // Never reserved: releasing is a no-op.
  const other = harness();
  assert.deepEqual(await other.run('releaseInventory', { orderId: workflowId }), {
    status: 'not_found',
    id: null,
    attempt: 1,
  });
  const page = harness();
  await page.run('pageApprovers', {
    orderId: workflowId,
    customerId: 'c1',
    email: 'ada@example.com',
    approvers: ['alice'],
    context: {},
  });
  assert.equal(page.fakes.notifications.pages().length, 1);
});

async function failureOf(p: Promise<unknown>): Promise<ApplicationFailure> {
  const err = await p.then(
    () => assert.fail('expected a failure'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof ApplicationFailure, String(err));
  return err;
}

test('business rejections become non-retryable failures of their type', async () => {
  for (const error of [
    new OutOfStockError('inventory', 'none left'),
    new PaymentDeclinedError('payments', 'declined'),
    new InsufficientFundsError('payments', 'no funds'),
    new AddressRejectedError('carrier', 'bad address'),
  ]) {
    const { fakes, run } = harness(1);
    fakes.faults.fail('payments.capture', 1, () => error);
    const failure = await failureOf(
      run('capturePayment', { orderId: workflowId, customerId: 'c1', amount: 1, currency: 'EUR' }),
    );
    assert.equal(failure.type, error.type);
    assert.equal(failure.nonRetryable, true);
    assert.ok(NON_RETRYABLE_FAILURES.includes(failure.type));
    assert.equal((failure.details?.[0] as { attempt: number }).attempt, 1);
  }
});

test('transient failures are retryable with nextRetryDelay = base × 2^(attempt-1); a 429 with its Retry-After (capped)', async () => {
  const cases: [Error, number, number][] = [
    [new DownstreamUnavailableError('payments', '503'), 1, 1_000],
    [new DownstreamTimeoutError('payments', 'timed out'), 4, 8_000],
    [new CircuitOpenError('payments', 'breaker open'), 2, 2_000],
    [new RateLimitedError('payments', '429', 12_345), 7, 12_345],
    [new RateLimitedError('payments', '429', 3_600_000), 1, DEFAULT_BACKOFF.retryAfterCapMs],
  ];
  for (const [error, attempt, delay] of cases) {
    const { fakes, run } = harness(attempt);
    fakes.faults.fail('payments.capture', 1, () => error);
    const failure = await failureOf(
      run('capturePayment', { orderId: workflowId, customerId: 'c1', amount: 1, currency: 'EUR' }),
    );
    assert.equal(failure.nonRetryable, false, error.name);
    assert.equal(failure.nextRetryDelay, delay, error.name);
    assert.equal((failure.details?.[0] as { nextRetryDelayMs: number }).nextRetryDelayMs, delay);
  }
  assert.equal(FailureType.RateLimited, 'RateLimited');
});

test('cancelling the activity aborts the call in flight, and it heartbeats while it waits', async () => {
  const { fakes, env, run } = harness();
  fakes.faults.hang('primaryCarrier.dispatch');
  let heartbeats = 0;
  env.on('heartbeat', () => heartbeats++);
  const pending = run('dispatchShipment', { orderId: workflowId, address, items: lines });
  // Heartbeats are due every third of the 1 s heartbeat timeout: two by now.
  await new Promise((r) => setTimeout(r, 900));
  env.cancel();
  await assert.rejects(pending);
  assert.ok(heartbeats >= 2, `${heartbeats} heartbeats`);
  assert.equal(fakes.primaryCarrier.shipments.size, 0);
});

test('a call that answers before the first heartbeat is due sends none (a heartbeat is a server write)', async () => {
  const { env, run } = harness();
  let heartbeats = 0;
  env.on('heartbeat', () => heartbeats++);
  await run('reserveInventory', { orderId: workflowId, items: lines });
  assert.equal(heartbeats, 0);
});
