import assert from 'node:assert/strict';
import { setTimeout as sleep } from 'node:timers/promises';
import { test } from 'node:test';
import { Registry } from 'prom-client';
import {
  CircuitOpenError,
  DownstreamTimeoutError,
  DownstreamUnavailableError,
  PaymentDeclinedError,
} from '../../src/activities/errors';
import { DownstreamBreakers, withCircuitBreakers } from '../../src/activities/resilience/circuit-breakers';
import { loadResilienceConfig } from '../../src/activities/resilience/config';
import { createBreakerMetrics, serveMetrics } from '../../src/activities/resilience/metrics';
import { FakePorts } from '../harness/fake-ports';

const capture = (n: number) => ({ orderId: `order-cb-${n}`, customerId: 'c1', amount: 1_000, currency: 'EUR' });
const key = (n: number) => ({ idempotencyKey: `order-cb-${n}:capturePayment` });
const unavailable = () => new DownstreamUnavailableError('payments', '503 Service Unavailable');

function rig(settings = { threshold: 5, halfOpenAfterMs: 30_000 }) {
  const fakes = new FakePorts();
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const logger = {
    info: (obj: object, msg: string) => lines.push({ level: 'info', obj: obj as Record<string, unknown>, msg }),
    warn: (obj: object, msg: string) => lines.push({ level: 'warn', obj: obj as Record<string, unknown>, msg }),
  };
  const registry = new Registry();
  const breakers = new DownstreamBreakers({ payments: settings }, { logger, metrics: createBreakerMetrics(registry) });
  const ports = withCircuitBreakers(fakes.ports, breakers);
  return { fakes, ports, breakers, lines, registry };
}

async function failures(p: Promise<unknown>[]): Promise<unknown[]> {
  return Promise.all(
    p.map((x) =>
      x.then(
        () => assert.fail('expected a failure'),
        (e: unknown) => e,
      ),
    ),
  );
}

test('the breaker opens after 5 consecutive transient failures, then fails fast without calling the downstream', async () => {
  const { fakes, ports, breakers, lines, registry } = rig();
  fakes.faults.failAlways('payments.capture', unavailable);
  for (let i = 1; i <= 4; i++)
    await assert.rejects(ports.payments.capture(capture(i), key(i)), DownstreamUnavailableError);
  assert.equal(breakers.state('payments'), 'closed', 'four failures are not enough');
  await assert.rejects(ports.payments.capture(capture(5), key(5)), DownstreamUnavailableError);
  assert.equal(breakers.state('payments'), 'open');

  const [err] = await failures([ports.payments.capture(capture(6), key(6))]);
  assert.ok(err instanceof CircuitOpenError);
  assert.equal(err.type, 'CircuitOpen');
  assert.equal(fakes.faults.callsOf('payments.capture').length, 5, 'the open breaker did not call payments');
  // Only the payments breaker opened: the other downstreams are untouched.
  assert.equal(breakers.state('inventory'), 'closed');
  await ports.inventory.reserve(
    { orderId: 'order-cb-x', items: [{ sku: 'SKU-1', quantity: 1 }] },
    { idempotencyKey: 'order-cb-x:reserveInventory' },
  );

  assert.deepEqual(
    lines.map((l) => [l.level, l.msg, l.obj.downstream]),
    [['warn', 'circuit breaker open', 'payments']],
  );
  assert.match(String(lines[0]!.obj.lastFailure), /503/);
  const metrics = await registry.metrics();
  assert.match(metrics, /circuit_breaker_state\{downstream="payments"\} 2/);
  assert.match(metrics, /circuit_breaker_transitions_total\{downstream="payments",state="open"\} 1/);
  assert.match(metrics, /circuit_breaker_rejected_calls_total\{downstream="payments"\} 1/);
});

test('a business rejection is a healthy answer: it resets the count and never opens the breaker', async () => {
  const { fakes, ports, breakers } = rig();
  fakes.faults
    .fail('payments.capture', 4, unavailable)
    .fail('payments.capture', 1, () => new PaymentDeclinedError('payments', 'card declined'))
    .fail('payments.capture', 4, unavailable);
  const errors = [];
  for (let i = 1; i <= 9; i++) errors.push(...(await failures([ports.payments.capture(capture(i), key(i))])));
  assert.equal(breakers.state('payments'), 'closed', '4 + decline + 4 is never 5 in a row');
  assert.ok(errors[4] instanceof PaymentDeclinedError, 'the rejection reaches the caller unchanged');
  // Ten declines in a row: still closed.
  fakes.faults.fail('payments.capture', 10, () => new PaymentDeclinedError('payments', 'card declined'));
  for (let i = 10; i < 20; i++) await assert.rejects(ports.payments.capture(capture(i), key(i)), PaymentDeclinedError);
  assert.equal(breakers.state('payments'), 'closed');
});

test('a caller abort (activity cancelled) is not a failure of the downstream', async () => {
  const { fakes, ports, breakers } = rig();
  for (let i = 1; i <= 8; i++) {
    fakes.faults.hang('payments.capture');
    const controller = new AbortController();
    const call = ports.payments.capture(capture(i), { ...key(i), signal: controller.signal });
    controller.abort();
    await assert.rejects(call, { name: 'AbortError' });
  }
  assert.equal(breakers.state('payments'), 'closed');
});

test('half-open: after the wait one trial call goes through; success closes the breaker, failure re-opens it', async () => {
  const { fakes, ports, breakers, lines } = rig({ threshold: 2, halfOpenAfterMs: 40 });
  fakes.faults.fail('payments.capture', 2, () => new DownstreamTimeoutError('payments', 'no answer within 10000 ms'));
  await failures([ports.payments.capture(capture(1), key(1)), ports.payments.capture(capture(2), key(2))]);
  assert.equal(breakers.state('payments'), 'open');
  await assert.rejects(ports.payments.capture(capture(3), key(3)), CircuitOpenError);

  await sleep(60);
  fakes.faults.fail('payments.capture', 1, unavailable);
  await assert.rejects(ports.payments.capture(capture(4), key(4)), DownstreamUnavailableError);
  assert.equal(breakers.state('payments'), 'open', 'a failed trial re-opens the breaker');
  await assert.rejects(ports.payments.capture(capture(5), key(5)), CircuitOpenError);

  await sleep(60);
  const charge = await ports.payments.capture(capture(6), key(6));
  assert.equal(charge.status, 'captured');
  assert.equal(breakers.state('payments'), 'closed');
  assert.deepEqual(
    lines.map((l) => l.msg),
    [
      'circuit breaker open',
      'circuit breaker half-open',
      'circuit breaker open',
      'circuit breaker half-open',
      'circuit breaker closed',
    ],
  );
});

test('breaker settings: 5 failures and 30 s by default, overridable globally and per downstream', () => {
  const defaults = loadResilienceConfig({});
  assert.deepEqual(defaults.breakers.payments, { threshold: 5, halfOpenAfterMs: 30_000, probeIntervalMs: 1_000 });
  assert.equal(defaults.metricsPort, undefined);
  assert.equal(defaults.slaAlertWebhookUrl, 'http://127.0.0.1:4006/alerts');
  const tuned = loadResilienceConfig({
    BREAKER_THRESHOLD: '8',
    BREAKER_PRIMARY_CARRIER_THRESHOLD: '3',
    BREAKER_PRIMARY_CARRIER_HALF_OPEN_AFTER_MS: '5000',
    BULKHEAD_NOTIFICATIONS: '2',
  });
  assert.deepEqual(tuned.breakers.primaryCarrier, { threshold: 3, halfOpenAfterMs: 5_000, probeIntervalMs: 1_000 });
  assert.deepEqual(tuned.breakers.inventory, { threshold: 8, halfOpenAfterMs: 30_000, probeIntervalMs: 1_000 });
  assert.equal(tuned.bulkheads.notifications, 2);
  assert.equal(tuned.bulkheads.payments, 20);
  assert.throws(() => loadResilienceConfig({ BREAKER_PAYMENTS_THRESHOLD: '0' }), /BREAKER_PAYMENTS_THRESHOLD/);
});

test('the worker metrics endpoint serves the breaker metrics on loopback', async () => {
  const { fakes, ports, registry } = rig({ threshold: 1, halfOpenAfterMs: 30_000 });
  fakes.faults.fail('payments.capture', 1, unavailable);
  await assert.rejects(ports.payments.capture(capture(1), key(1)));
  const server = await serveMetrics(registry, 0);
  try {
    const res = await fetch(`http://127.0.0.1:${server.port}/metrics`);
    assert.equal(res.status, 200);
    assert.match(await res.text(), /circuit_breaker_state\{downstream="payments"\} 2/);
    assert.equal((await fetch(`http://127.0.0.1:${server.port}/other`)).status, 404);
  } finally {
    await server.close();
  }
});
