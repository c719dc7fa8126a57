/** The HTTP clients against the real reference services: results, typed errors, fault modes, cancellation. */
import assert from 'node:assert/strict';
import { createServer, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { after, afterEach, before, describe, test } from 'node:test';
import {
  AddressRejectedError,
  DownstreamTimeoutError,
  DownstreamUnavailableError,
  FraudSuspectedError,
  InsufficientFundsError,
  InvalidRequestError,
  OutOfStockError,
  PaymentDeclinedError,
  RateLimitedError,
} from '../../src/activities/errors';
import {
  DownstreamContractError,
  createCarrierClient,
  createHttpPorts,
  createInventoryClient,
  createPaymentsClient,
  downstreamSchema,
  parseRetryAfter,
} from '../../src/activities/clients';
import type { DownstreamPorts } from '../../src/activities/ports';
import { loadConfig } from '../../src/config';
import { SERVICE_NAMES } from '../../src/services/server';
import {
  availableStock,
  http,
  setFaults,
  setStock,
  startTestServices,
  unique,
  type TestServices,
} from '../services/harness';

let svc: TestServices;
let ports: DownstreamPorts;
before(async () => {
  svc = await startTestServices({ fraudModelSlowMs: 2000 });
  const config = loadConfig(downstreamSchema, {
    INVENTORY_URL: svc.urls.inventory,
    PAYMENTS_URL: svc.urls.payments,
    PRIMARY_CARRIER_URL: svc.urls.primaryCarrier,
    BACKUP_CARRIER_URL: svc.urls.backupCarrier,
    FRAUD_URL: svc.urls.fraud,
    NOTIFICATIONS_URL: svc.urls.notifications,
    FRAUD_MODEL_TIMEOUT_MS: '300',
  });
  ports = createHttpPorts(config);
});
afterEach(() => {
  for (const name of SERVICE_NAMES) svc.faults[name].reset();
});
after(async () => {
  await svc?.stop();
});

const key = () => ({ idempotencyKey: unique('key') });
const address = { name: 'Ada', line1: '1 Main St', city: 'Berlin', postalCode: '10115', country: 'DE' };
const scoreRequest = {
  orderId: 'o-1',
  customerId: 'cust-1',
  email: 'ada@example.com',
  total: 5000,
  currency: 'EUR',
  country: 'DE',
  itemCount: 1,
};

describe('results', () => {
  test('inventory: reserve, the same key again, commit', async () => {
    const sku = unique('SKU');
    await setStock(svc.urls.inventory, sku, 5);
    const orderId = unique('order');
    const opts = key();
    const reservation = await ports.inventory.reserve({ orderId, items: [{ sku, quantity: 2 }] }, opts);
    assert.equal(reservation.status, 'reserved');
    assert.deepEqual(await ports.inventory.reserve({ orderId, items: [{ sku, quantity: 2 }] }, opts), reservation);
    assert.equal(await availableStock(svc.urls.inventory, sku), 3);
    assert.deepEqual(await ports.inventory.commit({ orderId, reservationKey: opts.idempotencyKey }, key()), {
      reservationId: reservation.reservationId,
      status: 'committed',
    });
  });

  test('inventory: release restores stock; releasing what was never reserved is not_found', async () => {
    const sku = unique('SKU');
    await setStock(svc.urls.inventory, sku, 5);
    const orderId = unique('order');
    const opts = key();
    const reservation = await ports.inventory.reserve({ orderId, items: [{ sku, quantity: 5 }] }, opts);
    assert.deepEqual(await ports.inventory.release({ orderId, reservationKey: opts.idempotencyKey }, key()), {
      status: 'released',
      id: reservation.reservationId,
    });
    assert.equal(await availableStock(svc.urls.inventory, sku), 5);
    assert.deepEqual(await ports.inventory.release({ orderId, reservationKey: unique('never') }, key()), {
      status: 'not_found',
      id: null,
    });
  });

  test('payments: capture then refund (twice: same refund)', async () => {
    const orderId = unique('order');
    const capture = key();
    const charge = await ports.payments.capture(
      { orderId, customerId: 'cust-1', amount: 1234, currency: 'EUR' },
      capture,
    );
    assert.deepEqual(
      { ...charge, chargeId: 'x' },
      { chargeId: 'x', amount: 1234, currency: 'EUR', status: 'captured' },
    );
    const refund = await ports.payments.refund({ orderId, captureKey: capture.idempotencyKey }, key());
    assert.equal(refund.status, 'refunded');
    assert.deepEqual(await ports.payments.refund({ orderId, captureKey: capture.idempotencyKey }, key()), refund);
    assert.deepEqual(await ports.payments.refund({ orderId, captureKey: unique('never') }, key()), {
      status: 'not_found',
      id: null,
    });
  });

  test('carriers: primary and backup dispatch under their names', async () => {
    for (const carrier of [ports.primaryCarrier, ports.backupCarrier]) {
      const shipment = await carrier.dispatch(
        { orderId: unique('order'), address, items: [{ sku: 'SKU-MUG-001', quantity: 1 }] },
        key(),
      );
      assert.equal(shipment.carrier, carrier.name);
    }
    assert.deepEqual(
      [ports.primaryCarrier.name, ports.backupCarrier.name],
      [svc.carrierNames.primaryCarrier, svc.carrierNames.backupCarrier],
    );
  });

  test('fraud: model and rules scorers', async () => {
    assert.equal((await ports.fraudModel.score(scoreRequest, key())).scorer, 'model');
    assert.equal((await ports.fraudRules.score({ ...scoreRequest, email: 'x@fraud.test' }, key())).score >= 0.85, true);
  });

  test('notifications: email by default, page on request', async () => {
    const orderId = unique('order');
    const request = { orderId, customerId: 'cust-1', email: 'ada@example.com', template: 'order-confirmed', data: {} };
    await ports.notifications.send(request, key());
    await ports.notifications.send({ ...request, template: 'approval-escalation', channel: 'page' }, key());
    const listed = (await http(svc.urls.notifications, 'GET', `/notifications?orderId=${orderId}`)).body
      .notifications as { channel: string }[];
    assert.deepEqual(listed.map((n) => n.channel).sort(), ['email', 'page']);
  });
});

describe('business rejections', () => {
  test('out of stock', async () => {
    await assert.rejects(
      ports.inventory.reserve({ orderId: unique('order'), items: [{ sku: 'SKU-RARE-000', quantity: 1 }] }, key()),
      OutOfStockError,
    );
  });

  for (const [customerId, errorClass] of [
    ['cust-declined', PaymentDeclinedError],
    ['cust-nofunds', InsufficientFundsError],
    ['cust-fraud', FraudSuspectedError],
  ] as const) {
    test(`${customerId} → ${errorClass.name}`, async () => {
      await assert.rejects(
        ports.payments.capture({ orderId: unique('order'), customerId, amount: 100, currency: 'EUR' }, key()),
        errorClass,
      );
    });
  }

  test('address rejected', async () => {
    await assert.rejects(
      ports.backupCarrier.dispatch(
        { orderId: unique('order'), address: { ...address, postalCode: '00000' }, items: [{ sku: 'A', quantity: 1 }] },
        key(),
      ),
      AddressRejectedError,
    );
  });

  test('release after commit, and an invalid request, are InvalidRequestError', async () => {
    const sku = unique('SKU');
    await setStock(svc.urls.inventory, sku, 1);
    const orderId = unique('order');
    const opts = key();
    await ports.inventory.reserve({ orderId, items: [{ sku, quantity: 1 }] }, opts);
    await ports.inventory.commit({ orderId, reservationKey: opts.idempotencyKey }, key());
    await assert.rejects(
      ports.inventory.release({ orderId, reservationKey: opts.idempotencyKey }, key()),
      (err) => err instanceof InvalidRequestError && /committed/.test(err.message),
    );
    await assert.rejects(
      ports.payments.capture({ orderId, customerId: 'c', amount: 1.5, currency: 'EUR' }, key()),
      InvalidRequestError,
    );
  });
});

describe('fault modes, through the clients', () => {
  const charge = (payments = ports.payments, signal?: AbortSignal) =>
    payments.capture(
      { orderId: unique('order'), customerId: 'cust-1', amount: 100, currency: 'EUR' },
      { ...key(), ...(signal ? { signal } : {}) },
    );

  test('added latency within the timeout still succeeds', async () => {
    await setFaults(svc.urls.payments, { latencyMs: 50 });
    assert.equal((await charge()).status, 'captured');
  });

  test('latency beyond the timeout → DownstreamTimeoutError', async () => {
    await setFaults(svc.urls.payments, { latencyMs: 1000 });
    const hasty = createPaymentsClient({ baseUrl: svc.urls.payments, timeoutMs: 100 });
    await assert.rejects(charge(hasty), DownstreamTimeoutError);
  });

  test('error rate → DownstreamUnavailableError, and nothing was charged', async () => {
    await setFaults(svc.urls.payments, { errorRate: 1, errorStatus: 503 });
    const orderId = unique('order');
    await assert.rejects(
      ports.payments.capture({ orderId, customerId: 'cust-1', amount: 100, currency: 'EUR' }, key()),
      (err) => err instanceof DownstreamUnavailableError && err.details.status === 503,
    );
    assert.deepEqual((await http(svc.urls.payments, 'GET', `/charges?orderId=${orderId}`)).body, { charges: [] });
  });

  test('429 → RateLimitedError with Retry-After in ms', async () => {
    await setFaults(svc.urls.inventory, { rateLimitRate: 1, retryAfterSeconds: 3 });
    await assert.rejects(
      ports.inventory.release({ orderId: 'o', reservationKey: 'k' }, key()),
      (err) => err instanceof RateLimitedError && err.retryAfterMs === 3000,
    );
  });

  test('hang → DownstreamTimeoutError by the client timeout', async () => {
    await setFaults(svc.urls.primaryCarrier, { hangRate: 1 });
    const carrier = createCarrierClient({
      downstream: 'primaryCarrier',
      name: svc.carrierNames.primaryCarrier,
      baseUrl: svc.urls.primaryCarrier,
      timeoutMs: 150,
    });
    await assert.rejects(
      carrier.dispatch({ orderId: unique('order'), address, items: [{ sku: 'A', quantity: 1 }] }, key()),
      DownstreamTimeoutError,
    );
  });

  test('a slow fraud model → DownstreamTimeoutError; the rules still answer', async () => {
    const slow = { ...scoreRequest, email: 'someone@slow.test' };
    await assert.rejects(ports.fraudModel.score(slow, key()), DownstreamTimeoutError);
    assert.equal((await ports.fraudRules.score(slow, key())).scorer, 'rules');
  });

  for (const outage of ['unavailable', 'reset'] as const) {
    test(`outage "${outage}" → DownstreamUnavailableError`, async () => {
      await setFaults(svc.urls.notifications, { outage });
      await assert.rejects(
        ports.notifications.send({ orderId: 'o', customerId: 'c', email: 'e@x.test', template: 't', data: {} }, key()),
        DownstreamUnavailableError,
      );
    });
  }

  test('nothing listening → DownstreamUnavailableError', async () => {
    const server = await listenStub((_req, res) => res.end());
    const url = stubUrl(server);
    await new Promise((resolve) => server.close(resolve));
    await assert.rejects(
      createInventoryClient({ baseUrl: url, timeoutMs: 1000 }).release({ orderId: 'o', reservationKey: 'k' }, key()),
      DownstreamUnavailableError,
    );
  });
});

describe('cancellation', () => {
  test('a caller abort during a hang rethrows the caller reason, not a downstream error', async () => {
    await setFaults(svc.urls.payments, { hangRate: 1 });
    const controller = new AbortController();
    const reason = new Error('activity cancelled');
    setTimeout(() => controller.abort(reason), 50);
    await assert.rejects(
      ports.payments.capture(
        { orderId: unique('order'), customerId: 'c', amount: 1, currency: 'EUR' },
        { ...key(), signal: controller.signal },
      ),
      (err) => err === reason,
    );
  });

  test('an already aborted signal never reaches the downstream', async () => {
    const orderId = unique('order');
    const signal = AbortSignal.abort();
    await assert.rejects(
      ports.payments.capture({ orderId, customerId: 'c', amount: 1, currency: 'EUR' }, { ...key(), signal }),
      (err: Error) => err.name === 'AbortError',
    );
    assert.deepEqual((await http(svc.urls.payments, 'GET', `/charges?orderId=${orderId}`)).body, { charges: [] });
  });
});

describe('protocol', () => {
  let seen: { headers: Record<string, string | string[] | undefined>; body: string }[] = [];
  let answer: (res: ServerResponse) => void = (res) => res.end();
  let stub: Server;
  before(async () => {
    stub = await listenStub((req, res) => {
      let body = '';
      req.on('data', (chunk: Buffer) => (body += chunk.toString()));
      req.on('end', () => {
        seen.push({ headers: req.headers, body });
        answer(res);
      });
    });
  });
  after(async () => {
    await new Promise((resolve) => stub.close(resolve));
  });
  afterEach(() => {
    seen = [];
  });
  const client = () => createInventoryClient({ baseUrl: stubUrl(stub), timeoutMs: 1000 });
  const json =
    (status: number, body: unknown, headers: Record<string, string> = {}) =>
    (res: ServerResponse) => {
      res.writeHead(status, { 'content-type': 'application/json', ...headers }).end(JSON.stringify(body));
    };

  test('sends the Idempotency-Key header and the JSON body', async () => {
    answer = json(200, { status: 'not_found', id: null });
    await client().release({ orderId: 'o-9', reservationKey: 'r-9' }, { idempotencyKey: 'order-9:release-inventory' });
    assert.equal(seen[0]?.headers['idempotency-key'], 'order-9:release-inventory');
    assert.deepEqual(JSON.parse(seen[0]?.body ?? ''), { orderId: 'o-9', reservationKey: 'r-9' });
  });

  test('an unexpected success body → DownstreamContractError (a retryable DownstreamUnavailable)', async () => {
    answer = json(200, { status: 'gone', id: 7 });
    await assert.rejects(
      client().release({ orderId: 'o', reservationKey: 'k' }, key()),
      (err) => err instanceof DownstreamContractError && err instanceof DownstreamUnavailableError,
    );
    answer = (res) => res.writeHead(200, { 'content-type': 'text/html' }).end('<html>ok</html>');
    await assert.rejects(client().release({ orderId: 'o', reservationKey: 'k' }, key()), DownstreamContractError);
  });

  test('Retry-After as an HTTP date', async () => {
    answer = json(429, {}, { 'retry-after': new Date(Date.now() + 120_000).toUTCString() });
    await assert.rejects(
      client().release({ orderId: 'o', reservationKey: 'k' }, key()),
      (err) => err instanceof RateLimitedError && err.retryAfterMs > 100_000 && err.retryAfterMs <= 120_000,
    );
  });

  test('an unknown 4xx without an error body → InvalidRequestError; 408 → DownstreamUnavailableError', async () => {
    answer = (res) => res.writeHead(404, { 'content-type': 'text/plain' }).end('Not Found');
    await assert.rejects(
      client().release({ orderId: 'o', reservationKey: 'k' }, key()),
      (err) => err instanceof InvalidRequestError && err.details.status === 404,
    );
    answer = json(408, {});
    await assert.rejects(client().release({ orderId: 'o', reservationKey: 'k' }, key()), DownstreamUnavailableError);
  });

  test('parseRetryAfter: seconds, date, missing or garbage', () => {
    const now = Date.parse('2030-01-01T00:00:00Z');
    assert.equal(parseRetryAfter('5', now), 5000);
    assert.equal(parseRetryAfter('0', now), 0);
    assert.equal(parseRetryAfter('Tue, 01 Jan 2030 00:00:30 GMT', now), 30_000);
    assert.equal(parseRetryAfter('Mon, 31 Dec 2029 00:00:00 GMT', now), 0);
    assert.equal(parseRetryAfter(null, now), 1000);
    assert.equal(parseRetryAfter('soon', now), 1000);
  });
});

function listenStub(handler: Parameters<typeof createServer>[1]): Promise<Server> {
  const server = createServer(handler);
  return new Promise((resolve) => server.listen(0, '127.0.0.1', () => resolve(server)));
}

function stubUrl(server: Server): string {
  return `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
}
