/**
 * Every effectful endpoint: a repeat returns the original answer and leaves the ledger as one
 * call did (10 in a row, 20 at once), the same key with another body is refused, and the
 * guarantee sits on a real UNIQUE constraint.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { migrate } from '../../src/services/db/migrations';
import { http, post, setStock, startTestServices, unique, type TestServices } from './harness';

let svc: TestServices;
before(async () => {
  svc = await startTestServices();
});
after(async () => {
  await svc?.stop();
});

interface EffectfulCall {
  url: string;
  path: string;
  body: Record<string, unknown>;
  /** Same call, one field changed: must be refused under the same key. */
  otherBody: Record<string, unknown>;
  /** A snapshot of the ledger rows the call affects. */
  ledger(): Promise<unknown>;
}

interface EffectfulCase {
  name: string;
  /** Prepares what the call needs (e.g. a reservation to release) and describes the call. */
  setup(): EffectfulCall | Promise<EffectfulCall>;
}

const address = {
  name: 'Ada Lovelace',
  line1: '1 Analytical Way',
  city: 'London',
  postalCode: 'N1 9GU',
  country: 'GB',
};

async function reserved(sku: string) {
  const orderId = unique('order');
  const reservationKey = unique('reserve');
  await setStock(svc.urls.inventory, sku, 10);
  const res = await post(svc.urls.inventory, '/reservations', reservationKey, {
    orderId,
    items: [{ sku, quantity: 3 }],
  });
  assert.equal(res.status, 201);
  return { orderId, reservationKey };
}

async function inventoryLedger(orderId: string, sku: string) {
  const [reservations, stock] = await Promise.all([
    http(svc.urls.inventory, 'GET', `/reservations?orderId=${orderId}`),
    http(svc.urls.inventory, 'GET', `/stock/${sku}`),
  ]);
  return { reservations: reservations.body, stock: stock.body };
}

async function captured() {
  const orderId = unique('order');
  const captureKey = unique('capture');
  const res = await post(svc.urls.payments, '/charges', captureKey, {
    orderId,
    customerId: 'cust-ok',
    amount: 4200,
    currency: 'EUR',
  });
  assert.equal(res.status, 201);
  return { orderId, captureKey };
}

async function paymentsLedger(orderId: string) {
  const [charges, refunds] = await Promise.all([
    http(svc.urls.payments, 'GET', `/charges?orderId=${orderId}`),
    http(svc.urls.payments, 'GET', `/refunds?orderId=${orderId}`),
  ]);
  return { charges: charges.body, refunds: refunds.body };
}

const cases: EffectfulCase[] = [
  {
    name: 'inventory reserve',
    async setup() {
      const sku = unique('SKU');
      await setStock(svc.urls.inventory, sku, 10);
      const orderId = unique('order');
      const body = { orderId, items: [{ sku, quantity: 2 }] };
      return {
        url: svc.urls.inventory,
        path: '/reservations',
        body,
        otherBody: { ...body, items: [{ sku, quantity: 3 }] },
        ledger: () => inventoryLedger(orderId, sku),
      };
    },
  },
  {
    name: 'inventory release (compensation)',
    async setup() {
      const sku = unique('SKU');
      const { orderId, reservationKey } = await reserved(sku);
      const body = { orderId, reservationKey };
      return {
        url: svc.urls.inventory,
        path: '/reservations/release',
        body,
        otherBody: { ...body, reservationKey: 'other' },
        ledger: () => inventoryLedger(orderId, sku),
      };
    },
  },
  {
    name: 'inventory commit',
    async setup() {
      const sku = unique('SKU');
      const { orderId, reservationKey } = await reserved(sku);
      const body = { orderId, reservationKey };
      return {
        url: svc.urls.inventory,
        path: '/reservations/commit',
        body,
        otherBody: { ...body, orderId: 'other' },
        ledger: () => inventoryLedger(orderId, sku),
      };
    },
  },
  {
    name: 'payments capture',
    setup() {
      const orderId = unique('order');
      const body = { orderId, customerId: 'cust-ok', amount: 1999, currency: 'EUR' };
      return {
        url: svc.urls.payments,
        path: '/charges',
        body,
        otherBody: { ...body, amount: 2999 },
        ledger: () => paymentsLedger(orderId),
      };
    },
  },
  {
    name: 'payments refund (compensation)',
    async setup() {
      const { orderId, captureKey } = await captured();
      const body = { orderId, captureKey };
      return {
        url: svc.urls.payments,
        path: '/refunds',
        body,
        otherBody: { ...body, captureKey: 'other' },
        ledger: () => paymentsLedger(orderId),
      };
    },
  },
  ...(['primaryCarrier', 'backupCarrier'] as const).map((carrier) => ({
    name: `${carrier} dispatch`,
    setup() {
      const orderId = unique('order');
      const body = { orderId, address, items: [{ sku: 'SKU-MUG-001', quantity: 1 }] };
      return {
        url: svc.urls[carrier],
        path: '/shipments',
        body,
        otherBody: { ...body, items: [{ sku: 'SKU-MUG-001', quantity: 2 }] },
        ledger: async () => (await http(svc.urls[carrier], 'GET', `/shipments?orderId=${orderId}`)).body,
      };
    },
  })),
  {
    name: 'notifications send',
    setup() {
      const orderId = unique('order');
      const body = {
        orderId,
        customerId: 'cust-ok',
        email: 'ada@example.com',
        template: 'order-confirmed',
        data: { total: 1999 },
      };
      return {
        url: svc.urls.notifications,
        path: '/notifications',
        body,
        otherBody: { ...body, template: 'order-cancelled' },
        ledger: async () => (await http(svc.urls.notifications, 'GET', `/notifications?orderId=${orderId}`)).body,
      };
    },
  },
];

for (const c of cases) {
  describe(c.name, () => {
    test('10 repeats return the original answer and leave the ledger as one call did', async () => {
      const call = await c.setup();
      const key = unique('key');
      const first = await post(call.url, call.path, key, call.body);
      assert.ok(first.status < 300, `first call failed: ${first.status} ${JSON.stringify(first.body)}`);
      assert.equal(first.headers.get('idempotent-replayed'), 'false');
      const once = await call.ledger();
      for (let i = 0; i < 9; i++) {
        const repeat = await post(call.url, call.path, key, call.body);
        assert.equal(repeat.status, first.status);
        assert.deepEqual(repeat.body, first.body);
        assert.equal(repeat.headers.get('idempotent-replayed'), 'true');
      }
      assert.deepEqual(await call.ledger(), once);
    });

    test('20 identical requests at once apply once and all get the same answer', async () => {
      const call = await c.setup();
      const before = await call.ledger();
      const key = unique('key');
      const answers = await Promise.all(Array.from({ length: 20 }, () => post(call.url, call.path, key, call.body)));
      const originals = answers.filter((a) => a.headers.get('idempotent-replayed') === 'false');
      assert.equal(originals.length, 1, 'exactly one request took effect');
      for (const a of answers) {
        assert.equal(a.status, answers[0]?.status);
        assert.deepEqual(a.body, answers[0]?.body);
      }
      const afterOne = await call.ledger();
      assert.notDeepEqual(afterOne, before, 'the effect happened');
      assert.deepEqual(await call.ledger(), afterOne);
    });

    test('the same key with a different body is refused with 422', async () => {
      const call = await c.setup();
      const key = unique('key');
      const first = await post(call.url, call.path, key, call.body);
      const ledger = await call.ledger();
      const reused = await post(call.url, call.path, key, call.otherBody);
      assert.equal(reused.status, 422);
      assert.equal(reused.body.error?.code, 'idempotency_key_reused');
      assert.deepEqual(await call.ledger(), ledger);
      assert.deepEqual(
        (await post(call.url, call.path, key, call.body)).body,
        first.body,
        'the original answer is unchanged',
      );
    });
  });
}

test('a key in another field order is the same request', async () => {
  const orderId = unique('order');
  const key = unique('key');
  const first = await post(svc.urls.payments, '/charges', key, {
    orderId,
    customerId: 'cust-ok',
    amount: 100,
    currency: 'EUR',
  });
  const reordered = await post(svc.urls.payments, '/charges', key, {
    currency: 'EUR',
    amount: 100,
    customerId: 'cust-ok',
    orderId,
  });
  assert.equal(reordered.status, 201);
  assert.deepEqual(reordered.body, first.body);
});

test('an effectful request without an Idempotency-Key is refused and has no effect', async () => {
  const orderId = unique('order');
  const res = await http(svc.urls.payments, 'POST', '/charges', {
    orderId,
    customerId: 'cust-ok',
    amount: 100,
    currency: 'EUR',
  });
  assert.equal(res.status, 400);
  assert.equal(res.body.error?.code, 'idempotency_key_required');
  assert.deepEqual((await http(svc.urls.payments, 'GET', `/charges?orderId=${orderId}`)).body, { charges: [] });
});

test('an invalid body is refused with 400 and does not burn the key', async () => {
  const orderId = unique('order');
  const key = unique('key');
  const invalid = await post(svc.urls.payments, '/charges', key, {
    orderId,
    customerId: 'cust-ok',
    amount: 12.5,
    currency: 'euro',
  });
  assert.equal(invalid.status, 400);
  assert.equal(invalid.body.error?.code, 'invalid_request');
  const valid = await post(svc.urls.payments, '/charges', key, {
    orderId,
    customerId: 'cust-ok',
    amount: 1250,
    currency: 'EUR',
  });
  assert.equal(valid.status, 201);
});

describe('database constraints', () => {
  const uniqueConstraints = [
    ['idempotency_keys', 'idempotency_keys_scope_key_unique'],
    ['inventory_reservations', 'inventory_reservations_key_unique'],
    ['payments_charges', 'payments_charges_capture_key_unique'],
    ['payments_refunds', 'payments_refunds_charge_unique'],
    ['payments_refunds', 'payments_refunds_key_unique'],
    ['carrier_shipments', 'carrier_shipments_carrier_key_unique'],
    ['notifications', 'notifications_key_unique'],
  ];
  for (const [table, constraint] of uniqueConstraints) {
    test(`${table} has the UNIQUE constraint ${constraint}`, async () => {
      const rows = await svc.db.query<{ contype: string }>(
        `SELECT c.contype FROM pg_constraint c JOIN pg_class t ON t.oid = c.conrelid
         WHERE t.relname = $1 AND c.conname = $2 AND t.relnamespace = current_schema()::regnamespace`,
        [table, constraint],
      );
      assert.deepEqual(rows, [{ contype: 'u' }]);
    });
  }

  test('the database itself refuses a second row with the same idempotency key', async () => {
    const key = unique('key');
    await svc.db.query(`INSERT INTO idempotency_keys (scope, key, request) VALUES ('test', $1, '{}'::jsonb)`, [key]);
    await assert.rejects(
      svc.db.query(`INSERT INTO idempotency_keys (scope, key, request) VALUES ('test', $1, '{"other":true}'::jsonb)`, [
        key,
      ]),
      (err: { code?: string }) => err.code === '23505',
    );
  });

  test('stock can never go negative, even by a direct update', async () => {
    const sku = unique('SKU');
    await setStock(svc.urls.inventory, sku, 1);
    await assert.rejects(
      svc.db.query(`UPDATE inventory_skus SET available = available - 2 WHERE sku = $1`, [sku]),
      (err: { code?: string }) => err.code === '23514',
    );
  });

  test('a failed transaction leaves nothing behind', async () => {
    const key = unique('key');
    await assert.rejects(
      svc.db.transaction(async (tx) => {
        await tx.query(`INSERT INTO idempotency_keys (scope, key, request) VALUES ('test', $1, '{}'::jsonb)`, [key]);
        throw new Error('boom');
      }),
      /boom/,
    );
    assert.deepEqual(await svc.db.query(`SELECT key FROM idempotency_keys WHERE key = $1`, [key]), []);
  });

  test('migrations run again are a no-op', async () => {
    assert.deepEqual(await migrate(svc.db), []);
  });
});
