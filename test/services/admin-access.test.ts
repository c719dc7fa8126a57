/**
 * Who may reach what: the fault controls, `PUT /stock` and the audit listings need the admin
 * token (401 with `WWW-Authenticate: Bearer` and no effect otherwise), the business routes and
 * /healthz do not; and a request naming a foreign Host (a DNS-rebinding page) is refused before
 * any route with 421. First on a bare service app, then on the real services.
 */
import assert from 'node:assert/strict';
import { request as httpRequest } from 'node:http';
import { after, before, describe, test } from 'node:test';
import { Router } from 'express';
import pino from 'pino';
import request from 'supertest';
import { FaultController, NO_FAULTS } from '../../src/services/faults';
import { createServiceApp } from '../../src/services/http/app';
import { OperatorRoutes } from '../../src/services/service-parts';
import {
  ADMIN_TOKEN,
  adminAuth,
  availableStock,
  setStock,
  startTestServices,
  unique,
  type TestServices,
} from './harness';

function app() {
  const faults = new FaultController();
  let handled = 0;
  const business = Router();
  business.post('/work', (_req, res) => {
    handled += 1;
    res.status(201).json({ done: true });
  });
  const operator = new OperatorRoutes().get('/ledger', (_req, res) => void res.json({ entries: [] }));
  const log = pino({ level: 'silent' });
  const a = createServiceApp({
    service: 'test',
    log,
    faults,
    adminToken: ADMIN_TOKEN,
    allowedHosts: ['services'],
    business,
    operator,
  });
  return { app: a, faults, handled: () => handled };
}

const WRONG: [string, Record<string, string>][] = [
  ['no token', {}],
  ['a wrong token', { authorization: 'Bearer not-the-admin-token' }],
  ['the token under another scheme', { authorization: `Basic ${ADMIN_TOKEN}` }],
  ['the token with a suffix', { authorization: `Bearer ${ADMIN_TOKEN}x` }],
];

function assertUnauthorized(res: request.Response, what: string): void {
  assert.equal(res.status, 401, what);
  assert.equal(res.headers['www-authenticate'], 'Bearer', what);
  assert.equal((res.body as { error: { code: string } }).error.code, 'unauthorized', what);
}

describe('the admin token on a service app', () => {
  for (const [label, headers] of WRONG) {
    test(`${label}: every control and operator route answers 401 and changes nothing`, async () => {
      const { app: a, faults } = app();
      faults.set({ ...NO_FAULTS, latencyMs: 5 });
      assertUnauthorized(await request(a).get('/_faults').set(headers), 'GET /_faults');
      assertUnauthorized(await request(a).put('/_faults').set(headers).send({ errorRate: 1 }), 'PUT /_faults');
      assertUnauthorized(await request(a).delete('/_faults').set(headers), 'DELETE /_faults');
      assertUnauthorized(await request(a).put('/_faults/').set(headers).send({ errorRate: 1 }), 'trailing slash');
      assertUnauthorized(await request(a).get('/_FAULTS').set(headers), 'another case');
      assertUnauthorized(await request(a).get('/ledger').set(headers), 'an audit listing');
      assert.deepEqual(faults.settings, { ...NO_FAULTS, latencyMs: 5 }, 'the settings are untouched');
    });
  }

  test('with the token the controls and listings answer; business routes and /healthz need none', async () => {
    const { app: a, faults, handled } = app();
    const put = await request(a).put('/_faults').set(adminAuth).send({ errorRate: 1 });
    assert.equal(put.status, 200);
    assert.equal(faults.settings.errorRate, 1);
    assert.equal((await request(a).get('/ledger').set('Authorization', `bearer ${ADMIN_TOKEN}`)).status, 200);
    await request(a).delete('/_faults').set(adminAuth).expect(200);
    assert.equal((await request(a).post('/work')).status, 201, 'business routes take no token');
    assert.equal(handled(), 1);
    assert.equal((await request(a).get('/healthz')).status, 200);
  });
});

describe('the Host check on a service app', () => {
  test('a foreign Host is refused with 421 before any route, token or not', async () => {
    const { app: a, faults, handled } = app();
    for (const host of ['evil.example', 'evil.example:4001', 'localhost.evil.example', 'services.evil.example']) {
      const requests: [string, Promise<request.Response>][] = [
        ['business', request(a).post('/work').set('Host', host)],
        ['control', request(a).put('/_faults').set('Host', host).set(adminAuth).send({ errorRate: 1 })],
        ['listing', request(a).get('/ledger').set('Host', host).set(adminAuth)],
        ['healthz', request(a).get('/healthz').set('Host', host)],
      ];
      for (const [what, pending] of requests) {
        const res = await pending;
        assert.equal(res.status, 421, `${host} ${what}`);
        assert.equal((res.body as { error: { code: string } }).error.code, 'host_not_allowed');
      }
    }
    assert.equal(handled(), 0, 'the business handler never ran');
    assert.deepEqual(faults.settings, NO_FAULTS, 'no fault was installed');
  });

  test('loopback names and the configured extra host are accepted, whatever the port', async () => {
    const { app: a } = app();
    for (const host of ['localhost:4001', 'LocalHost', '127.0.0.1:4002', '[::1]:4003', 'services:4004', 'services']) {
      assert.equal((await request(a).post('/work').set('Host', host)).status, 201, host);
      assert.equal((await request(a).get('/ledger').set('Host', host).set(adminAuth)).status, 200, host);
    }
  });
});

/** node:http, because fetch will not let a caller set its own Host header. */
function raw(
  url: string,
  method: string,
  path: string,
  headers: Record<string, string>,
  body?: unknown,
): Promise<{ status: number; headers: Record<string, unknown>; body: { error?: { code: string } } }> {
  return new Promise((resolve, reject) => {
    const req = httpRequest(
      new URL(path, url),
      { method, headers: { 'content-type': 'application/json', ...headers } },
      (res) => {
        let text = '';
        res.setEncoding('utf8');
        res.on('data', (chunk: string) => (text += chunk));
        res.on('end', () =>
          resolve({ status: res.statusCode ?? 0, headers: res.headers, body: (text ? JSON.parse(text) : {}) as never }),
        );
      },
    );
    req.on('error', reject);
    req.end(body === undefined ? undefined : JSON.stringify(body));
  });
}

describe('the real services', () => {
  let svc: TestServices;
  before(async () => {
    svc = await startTestServices({ allowedHosts: ['services'] });
  });
  after(async () => {
    await svc?.stop();
  });

  test('PUT /stock and the fault controls without the right token: 401, stock and faults unchanged', async () => {
    const sku = unique('SKU');
    await setStock(svc.urls.inventory, sku, 10);
    for (const [label, headers] of WRONG) {
      const put = await raw(svc.urls.inventory, 'PUT', `/stock/${sku}`, headers, { available: 0 });
      assert.equal(put.status, 401, label);
      assert.equal(put.headers['www-authenticate'], 'Bearer', label);
      assert.equal(put.body.error?.code, 'unauthorized', label);
      assert.equal((await raw(svc.urls.payments, 'PUT', '/_faults', headers, { outage: 'reset' })).status, 401);
      assert.equal((await raw(svc.urls.payments, 'DELETE', '/_faults', headers)).status, 401);
    }
    assert.equal(await availableStock(svc.urls.inventory, sku), 10);
    assert.deepEqual(svc.faults.payments.settings, NO_FAULTS);
    const put = await raw(svc.urls.inventory, 'PUT', `/stock/${sku}`, adminAuth, { available: 3 });
    assert.equal(put.status, 200);
    assert.equal(await availableStock(svc.urls.inventory, sku), 3);
  });

  test('every audit listing needs the token; /healthz does not', async () => {
    const listings: [keyof TestServices['urls'], string][] = [
      ['inventory', '/reservations'],
      ['inventory', '/stock'],
      ['inventory', '/stock/SKU-MUG-001'],
      ['payments', '/charges'],
      ['payments', '/refunds'],
      ['primaryCarrier', '/shipments'],
      ['backupCarrier', '/shipments'],
      ['notifications', '/notifications'],
    ];
    for (const [service, path] of listings) {
      assert.equal((await raw(svc.urls[service], 'GET', path, {})).status, 401, `${service} ${path}`);
      assert.equal((await raw(svc.urls[service], 'GET', path, adminAuth)).status, 200, `${service} ${path}`);
    }
    for (const url of Object.values(svc.urls)) assert.equal((await raw(url, 'GET', '/healthz', {})).status, 200);
  });

  test('a foreign Host is refused on business, control and listing routes; loopback and extra hosts pass', async () => {
    const orderId = unique('order');
    const charge = { orderId, customerId: 'cust-ok', amount: 1000, currency: 'EUR' };
    const foreign = { host: 'evil.example' };
    const refused = [
      await raw(svc.urls.payments, 'POST', '/charges', { ...foreign, 'idempotency-key': unique('k') }, charge),
      await raw(svc.urls.payments, 'PUT', '/_faults', { ...foreign, ...adminAuth }, { outage: 'unavailable' }),
      await raw(svc.urls.payments, 'GET', `/charges?orderId=${orderId}`, { ...foreign, ...adminAuth }),
    ];
    for (const res of refused) {
      assert.equal(res.status, 421);
      assert.equal(res.body.error?.code, 'host_not_allowed');
    }
    assert.deepEqual(svc.faults.payments.settings, NO_FAULTS);
    const port = new URL(svc.urls.payments).port;
    for (const host of [`localhost:${port}`, `services:${port}`]) {
      const listed = await raw(svc.urls.payments, 'GET', `/charges?orderId=${orderId}`, { host, ...adminAuth });
      assert.deepEqual([listed.status, listed.body], [200, { charges: [] }], `${host}: nothing was charged`);
    }
    const ok = await raw(
      svc.urls.payments,
      'POST',
      '/charges',
      { host: 'services', 'idempotency-key': unique('k') },
      charge,
    );
    assert.equal(ok.status, 201);
  });
});
