/**
 * Health probes of open circuit breakers: an open breaker asks its downstream's /healthz every
 * probe interval; the first healthy answer half-opens it at once (the next call is the trial),
 * long before `halfOpenAfterMs`; probing stops when the breaker leaves the open state, on
 * `dispose()` and when the worker's signal aborts, and never keeps the process alive.
 */
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { setTimeout as sleep } from 'node:timers/promises';
import { after, test } from 'node:test';
import { Registry } from 'prom-client';
import { CircuitOpenError, DownstreamUnavailableError } from '../../src/activities/errors';
import {
  DownstreamBreakers,
  withCircuitBreakers,
  type ProbeOptions,
  type Recovery,
} from '../../src/activities/resilience/circuit-breakers';
import { loadResilienceConfig, type BreakerSettings } from '../../src/activities/resilience/config';
import { checkHealth, healthUrls, probeIntervalFor } from '../../src/activities/resilience/health-probes';
import { createBreakerMetrics } from '../../src/activities/resilience/metrics';
import { FakePorts } from '../harness/fake-ports';

type Health = 'up' | 'down' | 'reset' | 'hang';

/** A /healthz that answers as told, counting the probes it gets. */
async function healthServer() {
  let mode: Health = 'down';
  let probes = 0;
  const server = http.createServer((req, res) => {
    if (req.url !== '/healthz') return void res.writeHead(404).end();
    probes += 1;
    if (mode === 'up') return void res.writeHead(200, { 'content-type': 'application/json' }).end('{"status":"ok"}');
    if (mode === 'down') return void res.writeHead(503).end('{"error":{"code":"outage"}}');
    if (mode === 'reset') return void req.socket.destroy();
    // hang: never answered
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const url = `http://127.0.0.1:${(server.address() as AddressInfo).port}/healthz`;
  return {
    url,
    set: (m: Health) => void (mode = m),
    probes: () => probes,
    close: () => {
      server.closeAllConnections();
      return new Promise<void>((resolve) => server.close(() => resolve()));
    },
  };
}

const servers: { close(): Promise<void> }[] = [];
after(() => Promise.all(servers.map((s) => s.close())));

const capture = (n: number) => ({ orderId: `order-pr-${n}`, customerId: 'c1', amount: 1_000, currency: 'EUR' });
const key = (n: number) => ({ idempotencyKey: `order-pr-${n}:capturePayment` });
const unavailable = () => new DownstreamUnavailableError('payments', '503 Service Unavailable');

async function rig(
  settings: BreakerSettings = { threshold: 2, halfOpenAfterMs: 60_000, probeIntervalMs: 20 },
  probing: Partial<ProbeOptions> = {},
) {
  const health = await healthServer();
  servers.push(health);
  const fakes = new FakePorts();
  const lines: { level: string; obj: Record<string, unknown>; msg: string }[] = [];
  const push = (level: string) => (obj: object, msg: string) =>
    void lines.push({ level, obj: obj as Record<string, unknown>, msg });
  const logger = { info: push('info'), warn: push('warn'), debug: push('debug') };
  const registry = new Registry();
  const breakers = new DownstreamBreakers(
    { payments: settings },
    { logger, metrics: createBreakerMetrics(registry, ['payments']) },
    { urls: { payments: health.url }, timeoutMs: 2_000, ...probing },
  );
  const recoveries: Recovery[] = [];
  breakers.onRecovered((r) => recoveries.push(r));
  const ports = withCircuitBreakers(fakes.ports, breakers);
  /** Fails `settings.threshold` captures: the breaker opens. */
  const open = async () => {
    fakes.faults.fail('payments.capture', settings.threshold, unavailable);
    for (let i = 1; i <= settings.threshold; i++)
      await assert.rejects(ports.payments.capture(capture(i), key(i)), DownstreamUnavailableError);
    assert.equal(breakers.state('payments'), 'open');
  };
  return { health, fakes, ports, breakers, lines, registry, recoveries, open };
}

async function until(what: string, predicate: () => boolean, timeoutMs = 2_000): Promise<number> {
  const started = Date.now();
  while (!predicate()) {
    if (Date.now() - started > timeoutMs) throw new Error(`timed out waiting for ${what}`);
    await sleep(5);
  }
  return Date.now() - started;
}

test('an open breaker probes /healthz: unhealthy keeps it open, the first healthy probe half-opens it at once, the trial closes it', async () => {
  const { health, fakes, ports, breakers, lines, registry, recoveries, open } = await rig();
  await open();
  assert.ok(breakers.isProbing('payments'));
  await until('two unhealthy probes', () => health.probes() >= 2);
  assert.equal(breakers.state('payments'), 'open', 'a 503 from /healthz keeps the breaker open');
  await assert.rejects(ports.payments.capture(capture(10), key(10)), CircuitOpenError);
  assert.equal(fakes.faults.callsOf('payments.capture').length, 2, 'the open breaker did not call payments');

  health.set('up');
  const tookMs = await until('the probe to half-open the breaker', () => breakers.state('payments') === 'half-open');
  assert.ok(tookMs < 2_000, `half-open ${tookMs} ms after /healthz answered, not after halfOpenAfterMs (60 s)`);
  assert.ok(!breakers.isProbing('payments'), 'a healthy probe ends the probing');
  assert.deepEqual(recoveries, [{ downstream: 'payments', via: 'probe' }]);

  // The next call is the trial: it reaches payments, succeeds, and closes the breaker.
  const charge = await ports.payments.capture(capture(11), key(11));
  assert.equal(charge.status, 'captured');
  assert.equal(breakers.state('payments'), 'closed');
  assert.deepEqual(recoveries, [
    { downstream: 'payments', via: 'probe' },
    { downstream: 'payments', via: 'closed' },
  ]);

  // Closed: probing stays stopped.
  const probesWhenClosed = health.probes();
  await sleep(120);
  assert.equal(health.probes(), probesWhenClosed, 'no probe after the breaker closed');

  const states = lines.filter((l) => l.level !== 'debug').map((l) => [l.msg, l.obj.via]);
  assert.deepEqual(states, [
    ['circuit breaker open', undefined],
    ['probing the downstream while its circuit breaker is open', undefined],
    ['circuit breaker half-open', 'probe'],
    ['circuit breaker closed', undefined],
  ]);
  const probeLines = lines.filter((l) => l.msg === 'circuit breaker probe');
  assert.ok(probeLines.length >= 3);
  assert.deepEqual(probeLines.at(-1)!.obj.healthy, true);
  assert.ok(probeLines.some((l) => l.obj.reason === 'HTTP 503'));
  const metrics = await registry.metrics();
  const unhealthy = Number(
    /circuit_breaker_probes_total\{downstream="payments",result="unhealthy"\} (\d+)/.exec(metrics)?.[1],
  );
  assert.ok(unhealthy >= 2, metrics);
  assert.match(metrics, /circuit_breaker_probes_total\{downstream="payments",result="healthy"\} 1/);
  // Half-open once (by the probe; the trial's own half-open is not counted again), then closed.
  assert.match(metrics, /circuit_breaker_transitions_total\{downstream="payments",state="half-open"\} 1/);
  assert.match(metrics, /circuit_breaker_transitions_total\{downstream="payments",state="closed"\} 1/);
  assert.match(metrics, /circuit_breaker_state\{downstream="payments"\} 0/);
});

test('the gauge says half-open as soon as the probe answers, before any call', async () => {
  const { health, breakers, registry, open } = await rig();
  await open();
  health.set('up');
  await until('half-open', () => breakers.state('payments') === 'half-open');
  assert.match(await registry.metrics(), /circuit_breaker_state\{downstream="payments"\} 1/);
});

test('a failed trial re-opens the breaker, probing resumes, and the next healthy probe half-opens it again', async () => {
  const { health, fakes, ports, breakers, recoveries, lines, open } = await rig();
  await open();
  health.set('up');
  await until('half-open', () => breakers.state('payments') === 'half-open');
  health.set('down');
  fakes.faults.fail('payments.capture', 1, unavailable);
  await assert.rejects(ports.payments.capture(capture(20), key(20)), DownstreamUnavailableError);
  assert.equal(breakers.state('payments'), 'open', 'the failed trial re-opened it');
  assert.ok(breakers.isProbing('payments'), 'probing again');
  await assert.rejects(ports.payments.capture(capture(21), key(21)), CircuitOpenError);
  const before = health.probes();
  await until('more unhealthy probes', () => health.probes() >= before + 2);
  assert.equal(breakers.state('payments'), 'open');
  health.set('up');
  await until('half-open again', () => breakers.state('payments') === 'half-open');
  await ports.payments.capture(capture(22), key(22));
  assert.equal(breakers.state('payments'), 'closed');
  assert.deepEqual(
    recoveries.map((r) => r.via),
    ['probe', 'probe', 'closed'],
  );
  // Each failed trial doubles the next opening's probe interval: a health check that answers
  // while the service fails costs fewer and fewer trials. Closing starts over.
  const intervals = () =>
    lines.filter((l) => l.msg.startsWith('probing the downstream')).map((l) => [l.obj.opening, l.obj.intervalMs]);
  assert.deepEqual(intervals(), [
    [1, 20],
    [2, 40],
  ]);
  await open();
  assert.deepEqual(intervals().at(-1), [1, 20]);
});

test('probe intervals: doubled per failed trial, capped at the half-open delay', () => {
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7].map((attempt) => probeIntervalFor(1_000, attempt, 30_000)),
    [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000],
  );
  assert.equal(probeIntervalFor(5_000, 1, 1_000), 5_000, 'never below the configured interval');
  assert.equal(probeIntervalFor(1_000, 10_000, 30_000), 30_000);
});

test('probing stops on dispose()', async () => {
  const { health, breakers, open } = await rig();
  await open();
  await until('a probe', () => health.probes() >= 1);
  breakers.dispose();
  assert.ok(!breakers.isProbing('payments'));
  const probes = health.probes();
  await sleep(120);
  assert.equal(health.probes(), probes, 'no probe after dispose');
  assert.equal(breakers.state('payments'), 'open', 'the breaker itself keeps working');
});

test("probing stops when the worker's signal aborts, also mid-probe, and never starts again", async () => {
  const stop = new AbortController();
  const { health, breakers, ports, open } = await rig(undefined, { signal: stop.signal });
  health.set('hang');
  await open();
  await until('a probe in flight', () => health.probes() >= 1);
  stop.abort();
  assert.ok(!breakers.isProbing('payments'));
  health.set('up');
  await sleep(120);
  assert.equal(health.probes(), 1, 'no probe after the abort');
  assert.equal(breakers.state('payments'), 'open', 'a probe cut off by the abort does not half-open');
  await assert.rejects(ports.payments.capture(capture(30), key(30)), CircuitOpenError);
  assert.ok(!breakers.isProbing('payments'));
});

test('a dropped connection, a hung health check and a refused connection are unhealthy', async () => {
  const health = await healthServer();
  servers.push(health);
  health.set('reset');
  const dropped = await checkHealth(health.url, 500);
  assert.equal(dropped.healthy, false);
  health.set('hang');
  const started = Date.now();
  assert.deepEqual(await checkHealth(health.url, 100), { healthy: false, reason: 'no answer within 100 ms' });
  assert.ok(Date.now() - started < 1_000);
  const gone = await healthServer();
  await gone.close();
  assert.deepEqual(await checkHealth(gone.url, 500), { healthy: false, reason: 'ECONNREFUSED' });
  health.set('up');
  assert.deepEqual(await checkHealth(health.url, 500), { healthy: true, status: 200 });
});

test('no probing without a health URL or with a probe interval of 0: the breaker waits halfOpenAfterMs', async () => {
  const off = await rig({ threshold: 1, halfOpenAfterMs: 60_000, probeIntervalMs: 0 });
  off.health.set('up');
  await off.open();
  assert.ok(!off.breakers.isProbing('payments'));
  await sleep(60);
  assert.equal(off.health.probes(), 0);
  assert.equal(off.breakers.state('payments'), 'open');

  const noUrl = new DownstreamBreakers({ payments: { threshold: 1, halfOpenAfterMs: 60_000, probeIntervalMs: 10 } });
  const fakes = new FakePorts();
  fakes.faults.fail('payments.capture', 1, unavailable);
  await assert.rejects(withCircuitBreakers(fakes.ports, noUrl).payments.capture(capture(40), key(40)));
  assert.equal(noUrl.state('payments'), 'open');
  assert.ok(!noUrl.isProbing('payments'));
});

test('probing never keeps the process alive', () => {
  // A process whose breaker is open and probing a dead endpoint, with nothing else to do, exits.
  const script = `
    const { DownstreamBreakers, withCircuitBreakers } = require(${JSON.stringify(path.resolve(__dirname, '../../src/activities/resilience/circuit-breakers.ts'))});
    const { DownstreamUnavailableError } = require(${JSON.stringify(path.resolve(__dirname, '../../src/activities/errors.ts'))});
    const breakers = new DownstreamBreakers(
      { payments: { threshold: 1, halfOpenAfterMs: 600000, probeIntervalMs: 50 } },
      {},
      { urls: { payments: 'http://127.0.0.1:47/healthz' }, timeoutMs: 5000 },
    );
    const port = { capture: () => Promise.reject(new DownstreamUnavailableError('payments', 'down')) };
    withCircuitBreakers({ payments: port, inventory: {}, primaryCarrier: {}, backupCarrier: {}, fraudModel: {}, fraudRules: {}, notifications: {} }, breakers)
      .payments.capture({}, { idempotencyKey: 'k' })
      .catch(() => { if (!breakers.isProbing('payments')) process.exit(3); console.log('open and probing'); });
  `;
  const started = Date.now();
  const child = spawnSync(process.execPath, ['--import', 'tsx', '-e', script], { encoding: 'utf8', timeout: 30_000 });
  assert.equal(child.status, 0, `${child.stderr}${child.error ? String(child.error) : ''}`);
  assert.match(child.stdout, /open and probing/);
  assert.ok(Date.now() - started < 30_000);
});

test('probe settings: every 1000 ms with a 1000 ms timeout by default, overridable globally and per downstream, 0 turns it off', () => {
  const defaults = loadResilienceConfig({});
  assert.equal(defaults.breakers.payments.probeIntervalMs, 1_000);
  assert.equal(defaults.probeTimeoutMs, 1_000);
  const tuned = loadResilienceConfig({
    BREAKER_PROBE_INTERVAL_MS: '250',
    BREAKER_PROBE_TIMEOUT_MS: '400',
    BREAKER_NOTIFICATIONS_PROBE_INTERVAL_MS: '0',
    BREAKER_FRAUD_MODEL_PROBE_INTERVAL_MS: '5000',
  });
  assert.equal(tuned.breakers.inventory.probeIntervalMs, 250);
  assert.equal(tuned.breakers.notifications.probeIntervalMs, 0);
  assert.equal(tuned.breakers.fraudModel.probeIntervalMs, 5_000);
  assert.equal(tuned.breakers.fraudRules.probeIntervalMs, 250);
  assert.equal(tuned.probeTimeoutMs, 400);
  for (const [variable, value] of [
    ['BREAKER_PROBE_INTERVAL_MS', '-1'],
    ['BREAKER_PROBE_INTERVAL_MS', 'often'],
    ['BREAKER_PAYMENTS_PROBE_INTERVAL_MS', '1.5'],
    ['BREAKER_PROBE_TIMEOUT_MS', '0'],
  ] as const) {
    assert.throws(() => loadResilienceConfig({ [variable]: value }), new RegExp(variable), `${variable}=${value}`);
  }
});

test("health URLs: each downstream's base URL + /healthz; fraudModel and fraudRules share FRAUD_URL", () => {
  const urls = healthUrls({
    INVENTORY_URL: 'http://inventory.internal:8080/',
    PAYMENTS_URL: 'http://127.0.0.1:4002',
    PRIMARY_CARRIER_URL: 'http://127.0.0.1:4003',
    BACKUP_CARRIER_URL: 'http://127.0.0.1:4004',
    FRAUD_URL: 'http://fraud.internal/api',
    NOTIFICATIONS_URL: 'http://127.0.0.1:4006',
  });
  assert.equal(urls.inventory, 'http://inventory.internal:8080/healthz');
  assert.equal(urls.payments, 'http://127.0.0.1:4002/healthz');
  assert.equal(urls.fraudModel, 'http://fraud.internal/api/healthz');
  assert.equal(urls.fraudRules, urls.fraudModel);
});
