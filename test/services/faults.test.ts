/**
 * The fault-injection control on a bare service app (no database needed), and the lost answer
 * on the real services: the effect is in the ledger, the caller got nothing, a replay answers.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { Router } from 'express';
import pino from 'pino';
import request from 'supertest';
import { z } from 'zod';
import { DownstreamUnavailableError } from '../../src/activities/errors';
import { callDownstream } from '../../src/activities/clients/http';
import { FaultController, NO_FAULTS } from '../../src/services/faults';
import { createServiceApp } from '../../src/services/http/app';
import { OperatorRoutes } from '../../src/services/service-parts';
import {
  ADMIN_TOKEN,
  adminAuth,
  http,
  post,
  setFaults,
  setStock,
  startTestServices,
  unique,
  type TestServices,
} from './harness';

function app(random?: () => number) {
  const faults = new FaultController(random);
  let handled = 0;
  const business = Router();
  business.post('/work', (_req, res) => {
    handled += 1;
    res.status(201).json({ done: true });
  });
  const operator = new OperatorRoutes().get('/ledger', (_req, res) => void res.json({ entries: [] }));
  const log = pino({ level: 'silent' });
  return {
    faults,
    handled: () => handled,
    app: createServiceApp({ service: 'test', log, faults, adminToken: ADMIN_TOKEN, business, operator }),
  };
}

const dropped = (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET' || /socket hang up/.test(err.message);

describe('fault control over HTTP', () => {
  test('is off by default', async () => {
    const { app: a } = app();
    const res = await request(a).get('/_faults').set(adminAuth);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, NO_FAULTS);
    assert.equal((await request(a).post('/work')).status, 201);
  });

  test('PUT replaces the settings (omitted fields off) and DELETE clears them', async () => {
    const { app: a } = app();
    await request(a).put('/_faults').set(adminAuth).send({ errorRate: 1 }).expect(200);
    const put = await request(a).put('/_faults').set(adminAuth).send({ latencyMs: 5 });
    assert.deepEqual(put.body, { ...NO_FAULTS, latencyMs: 5 });
    await request(a).delete('/_faults').set(adminAuth).expect(200);
    assert.deepEqual((await request(a).get('/_faults').set(adminAuth)).body, NO_FAULTS);
  });

  test('invalid settings are refused with the reason and leave the current ones', async () => {
    const { app: a, faults } = app();
    await request(a).put('/_faults').set(adminAuth).send({ latencyMs: 5 }).expect(200);
    for (const bad of [
      { errorRate: 2 },
      { outage: 'sometimes' },
      { latencyMs: -1 },
      { errorStatus: 418 },
      { lostAnswerRate: 1.5 },
      { typo: 1 },
    ]) {
      const res = await request(a).put('/_faults').set(adminAuth).send(bad);
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.equal((res.body as { error: { code: string } }).error.code, 'invalid_request');
    }
    assert.equal(faults.settings.latencyMs, 5);
  });
});

describe('faults apply to business endpoints; an outage to /healthz too', () => {
  const modes = [
    { errorRate: 1, errorStatus: 502, expected: 502, health: 200 },
    { rateLimitRate: 1, retryAfterSeconds: 7, expected: 429, health: 200 },
    { outage: 'unavailable', expected: 503, health: 503 },
  ] as const;
  for (const { expected, health, ...settings } of modes) {
    test(`${JSON.stringify(settings)} → ${expected} on business routes, ${health} on /healthz, never on /_faults or audits`, async () => {
      const { app: a, faults } = app();
      await request(a).put('/_faults').set(adminAuth).send(settings).expect(200);
      assert.equal(faults.settings.outage, 'outage' in settings ? settings.outage : 'none');
      const res = await request(a).post('/work');
      assert.equal(res.status, expected);
      if (expected === 429) assert.equal(res.headers['retry-after'], '7');
      assert.equal((await request(a).get('/healthz')).status, health);
      assert.equal((await request(a).get('/ledger').set(adminAuth)).status, 200);
      assert.equal((await request(a).get('/_faults').set(adminAuth)).status, 200);
    });
  }

  test('outage "reset" drops the connection without an answer, the health check\'s too', async () => {
    const { app: a } = app();
    await request(a).put('/_faults').set(adminAuth).send({ outage: 'reset' }).expect(200);
    await assert.rejects(request(a).post('/work'), dropped);
    await assert.rejects(request(a).get('/healthz'), dropped);
    assert.equal((await request(a).get('/_faults').set(adminAuth)).status, 200);
  });

  test('/healthz is down for exactly as long as the outage, and answers it with the outage body', async () => {
    const { app: a } = app();
    assert.deepEqual((await request(a).get('/healthz')).body, { status: 'ok', service: 'test' });
    await request(a).put('/_faults').set(adminAuth).send({ outage: 'unavailable' }).expect(200);
    const down = await request(a).get('/healthz');
    assert.equal(down.status, 503);
    assert.equal((down.body as { error: { code: string } }).error.code, 'outage');
    await request(a).delete('/_faults').set(adminAuth).expect(200);
    assert.deepEqual((await request(a).get('/healthz')).body, { status: 'ok', service: 'test' });
  });

  test('latency, hangs and lost answers leave /healthz healthy and prompt', async () => {
    const { app: a, handled } = app();
    await request(a)
      .put('/_faults')
      .set(adminAuth)
      .send({ latencyMs: 5_000, hangRate: 1, lostAnswerRate: 1, errorRate: 1 })
      .expect(200);
    const started = Date.now();
    assert.equal((await request(a).get('/healthz').timeout(2_000)).status, 200);
    assert.ok(Date.now() - started < 1_000, 'the injected latency is not added to the health check');
    assert.equal(handled(), 0);
  });

  test('a lost answer runs the handler, then drops the connection; not on /healthz, /_faults or audits', async () => {
    const { app: a, handled } = app();
    await request(a).put('/_faults').set(adminAuth).send({ lostAnswerRate: 1 }).expect(200);
    await assert.rejects(request(a).post('/work'), dropped);
    assert.equal(handled(), 1, 'the handler ran to its end');
    assert.equal((await request(a).get('/healthz')).status, 200);
    assert.equal((await request(a).get('/ledger').set(adminAuth)).status, 200);
    assert.equal((await request(a).get('/_faults').set(adminAuth)).status, 200);
    await request(a).delete('/_faults').set(adminAuth).expect(200);
    assert.equal((await request(a).post('/work')).status, 201);
    assert.equal(handled(), 2);
  });

  test('a hang is never answered until the client gives up', async () => {
    const { app: a } = app();
    await request(a).put('/_faults').set(adminAuth).send({ hangRate: 1 }).expect(200);
    await assert.rejects(
      request(a).post('/work').timeout(200),
      (err: Error & { timeout?: number }) => err.timeout === 200,
    );
  });

  test('rates are probabilities per request', async () => {
    const rolls = [0.1, 0.9, 0.1, 0.9];
    const { app: a } = app(() => rolls.shift() ?? 1);
    await request(a).put('/_faults').set(adminAuth).send({ errorRate: 0.5 }).expect(200);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await request(a).post('/work')).status);
    assert.deepEqual(statuses, [500, 201, 500, 201]);
  });
});

describe('a lost answer on the real services: the effect lands, the answer does not', () => {
  let svc: TestServices;
  before(async () => {
    svc = await startTestServices();
  });
  after(async () => {
    await svc?.stop();
  });

  /** A raw POST: resolves with the answer, or rejects when the connection was dropped. */
  const rawPost = (url: string, key: string, body: unknown) =>
    fetch(url, {
      method: 'POST',
      headers: { 'content-type': 'application/json', 'idempotency-key': key },
      body: JSON.stringify(body),
    });

  test('inventory reserve: no answer, the reservation is in the ledger, a replay answers it once', async () => {
    const sku = unique('SKU');
    await setStock(svc.urls.inventory, sku, 10);
    const orderId = unique('order');
    const key = unique('reserve');
    const body = { orderId, items: [{ sku, quantity: 2 }] };

    await setFaults(svc.urls.inventory, { lostAnswerRate: 1 });
    await assert.rejects(rawPost(`${svc.urls.inventory}/reservations`, key, body), TypeError);
    await http(svc.urls.inventory, 'DELETE', '/_faults');

    const listed = async () =>
      (await http(svc.urls.inventory, 'GET', `/reservations?orderId=${orderId}`)).body.reservations as {
        reservationId: string;
        reservationKey: string;
        status: string;
      }[];
    const [row, ...more] = await listed();
    assert.deepEqual(more, []);
    assert.equal(row?.reservationKey, key);
    assert.equal(row?.status, 'reserved');
    assert.equal((await http(svc.urls.inventory, 'GET', `/stock/${sku}`)).body.available, 8);

    const replay = await post(svc.urls.inventory, '/reservations', key, body);
    assert.equal(replay.status, 201);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.equal(replay.body.reservationId, row?.reservationId);
    assert.equal((await listed()).length, 1, 'no second reservation');
    assert.equal((await http(svc.urls.inventory, 'GET', `/stock/${sku}`)).body.available, 8);
  });

  test('payments capture: no answer, the charge is in the ledger, a replay answers it once', async () => {
    const orderId = unique('order');
    const key = unique('capture');
    const body = { orderId, customerId: 'cust-ok', amount: 4200, currency: 'EUR' };

    await setFaults(svc.urls.payments, { lostAnswerRate: 1 });
    await assert.rejects(rawPost(`${svc.urls.payments}/charges`, key, body), TypeError);
    await http(svc.urls.payments, 'DELETE', '/_faults');

    const listed = async () =>
      (await http(svc.urls.payments, 'GET', `/charges?orderId=${orderId}`)).body.charges as {
        chargeId: string;
        captureKey: string;
        status: string;
        amount: number;
      }[];
    const [row, ...more] = await listed();
    assert.deepEqual(more, []);
    assert.deepEqual(
      { captureKey: row?.captureKey, status: row?.status, amount: row?.amount },
      { captureKey: key, status: 'captured', amount: 4200 },
    );

    const replay = await post(svc.urls.payments, '/charges', key, body);
    assert.equal(replay.status, 201);
    assert.equal(replay.headers.get('idempotent-replayed'), 'true');
    assert.equal(replay.body.chargeId, row?.chargeId);
    assert.equal((await listed()).length, 1, 'no second charge');
  });

  test('the HTTP client reports it as a retryable DownstreamUnavailableError, and the effect is there', async () => {
    const orderId = unique('order');
    const key = unique('dispatch');
    const url = svc.urls.primaryCarrier;
    const body = {
      orderId,
      address: { name: 'Ada Lovelace', line1: '1 Analytical Way', city: 'London', postalCode: 'N1 9GU', country: 'GB' },
      items: [{ sku: 'SKU-MUG-001', quantity: 1 }],
    };
    const call = {
      method: 'POST' as const,
      path: '/shipments',
      body,
      idempotencyKey: key,
      response: z.object({ shipmentId: z.string() }),
    };
    const endpoint = { downstream: 'primaryCarrier', baseUrl: url, timeoutMs: 5_000 };

    await setFaults(url, { lostAnswerRate: 1 });
    await assert.rejects(
      callDownstream(endpoint, call),
      (err: unknown) => err instanceof DownstreamUnavailableError && /unreachable/.test(err.message),
    );
    await http(url, 'DELETE', '/_faults');

    const shipments = (await http(url, 'GET', `/shipments?orderId=${orderId}`)).body.shipments as {
      shipmentId: string;
      dispatchKey: string;
      status: string;
    }[];
    assert.equal(shipments.length, 1);
    assert.equal(shipments[0]?.dispatchKey, key);
    assert.equal(shipments[0]?.status, 'dispatched');
    // The retry Temporal would make: same key, the original shipment, nothing dispatched twice.
    assert.deepEqual(await callDownstream(endpoint, call), { shipmentId: shipments[0]?.shipmentId });
    assert.equal(((await http(url, 'GET', `/shipments?orderId=${orderId}`)).body.shipments as unknown[]).length, 1);
  });
});
