import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { DEMO_CATALOGUE, seedCatalogue } from '../../src/services/inventory/catalogue';
import { availableStock, http, post, setStock, startTestServices, unique, type TestServices } from './harness';

let svc: TestServices;
before(async () => {
  svc = await startTestServices();
});
after(async () => {
  await svc?.stop();
});

const reserve = (key: string, orderId: string, items: { sku: string; quantity: number }[]) =>
  post(svc.urls.inventory, '/reservations', key, { orderId, items });
const release = (orderId: string, reservationKey: string) =>
  post(svc.urls.inventory, '/reservations/release', unique('release'), { orderId, reservationKey });
const commit = (orderId: string, reservationKey: string) =>
  post(svc.urls.inventory, '/reservations/commit', unique('commit'), { orderId, reservationKey });

describe('reserve', () => {
  test('takes the stock of every line', async () => {
    const [a, b] = [unique('SKU'), unique('SKU')];
    await setStock(svc.urls.inventory, a, 5);
    await setStock(svc.urls.inventory, b, 5);
    const res = await reserve(unique('key'), unique('order'), [
      { sku: a, quantity: 2 },
      { sku: b, quantity: 5 },
    ]);
    assert.equal(res.status, 201);
    assert.equal(res.body.status, 'reserved');
    assert.equal(await availableStock(svc.urls.inventory, a), 3);
    assert.equal(await availableStock(svc.urls.inventory, b), 0);
  });

  test('is all or nothing: one short line reserves nothing and names the shortage', async () => {
    const [plenty, scarce] = [unique('SKU'), unique('SKU')];
    await setStock(svc.urls.inventory, plenty, 10);
    await setStock(svc.urls.inventory, scarce, 1);
    const orderId = unique('order');
    const res = await reserve(unique('key'), orderId, [
      { sku: plenty, quantity: 3 },
      { sku: scarce, quantity: 2 },
    ]);
    assert.equal(res.status, 409);
    assert.equal(res.body.error?.code, 'out_of_stock');
    assert.deepEqual((res.body.error as { details?: unknown }).details, {
      shortages: [{ sku: scarce, requested: 2, available: 1, known: true }],
    });
    assert.equal(await availableStock(svc.urls.inventory, plenty), 10);
    assert.equal(await availableStock(svc.urls.inventory, scarce), 1);
    assert.deepEqual((await http(svc.urls.inventory, 'GET', `/reservations?orderId=${orderId}`)).body, {
      reservations: [],
    });
  });

  test('counts repeated lines of one SKU together', async () => {
    const sku = unique('SKU');
    await setStock(svc.urls.inventory, sku, 3);
    const res = await reserve(unique('key'), unique('order'), [
      { sku, quantity: 2 },
      { sku, quantity: 2 },
    ]);
    assert.equal(res.status, 409);
    assert.equal(await availableStock(svc.urls.inventory, sku), 3);
  });

  test('an unknown SKU is out of stock', async () => {
    const res = await reserve(unique('key'), unique('order'), [{ sku: unique('NOPE'), quantity: 1 }]);
    assert.equal(res.status, 409);
    assert.equal(res.body.error?.code, 'out_of_stock');
  });

  test('concurrent reservations with different keys never oversell', async () => {
    const sku = unique('SKU');
    await setStock(svc.urls.inventory, sku, 7);
    const answers = await Promise.all(
      Array.from({ length: 20 }, () => reserve(unique('key'), unique('order'), [{ sku, quantity: 1 }])),
    );
    assert.equal(answers.filter((a) => a.status === 201).length, 7);
    assert.equal(answers.filter((a) => a.status === 409).length, 13);
    assert.equal(await availableStock(svc.urls.inventory, sku), 0);
    const stock = await http(svc.urls.inventory, 'GET', `/stock/${sku}`);
    assert.equal(stock.body.reserved, 7);
  });
});

describe('release', () => {
  test('restores the stock, and releasing again changes nothing', async () => {
    const sku = unique('SKU');
    await setStock(svc.urls.inventory, sku, 4);
    const [orderId, key] = [unique('order'), unique('key')];
    const made = await reserve(key, orderId, [{ sku, quantity: 4 }]);
    assert.equal(await availableStock(svc.urls.inventory, sku), 0);
    const first = await release(orderId, key);
    assert.deepEqual(first.body, { status: 'released', id: made.body.reservationId });
    assert.equal(await availableStock(svc.urls.inventory, sku), 4);
    const second = await release(orderId, key);
    assert.deepEqual(second.body, first.body);
    assert.equal(await availableStock(svc.urls.inventory, sku), 4);
  });

  test('of a reservation never made is a not_found no-op, and a late reserve with that key is refused', async () => {
    const sku = unique('SKU');
    await setStock(svc.urls.inventory, sku, 2);
    const [orderId, key] = [unique('order'), unique('key')];
    const res = await release(orderId, key);
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'not_found', id: null });
    assert.deepEqual((await release(orderId, key)).body, { status: 'not_found', id: null });
    const late = await reserve(key, orderId, [{ sku, quantity: 1 }]);
    assert.equal(late.status, 409);
    assert.equal(late.body.error?.code, 'reservation_voided');
    assert.equal(await availableStock(svc.urls.inventory, sku), 2);
  });

  test('after commit is refused clearly and keeps the goods shipped', async () => {
    const sku = unique('SKU');
    await setStock(svc.urls.inventory, sku, 2);
    const [orderId, key] = [unique('order'), unique('key')];
    await reserve(key, orderId, [{ sku, quantity: 2 }]);
    assert.equal((await commit(orderId, key)).body.status, 'committed');
    const res = await release(orderId, key);
    assert.equal(res.status, 409);
    assert.equal(res.body.error?.code, 'reservation_committed');
    assert.equal(await availableStock(svc.urls.inventory, sku), 0);
  });

  test('for another order is refused', async () => {
    const sku = unique('SKU');
    await setStock(svc.urls.inventory, sku, 1);
    const key = unique('key');
    await reserve(key, unique('order'), [{ sku, quantity: 1 }]);
    const res = await release(unique('order'), key);
    assert.equal(res.status, 409);
    assert.equal(res.body.error?.code, 'order_mismatch');
    assert.equal(await availableStock(svc.urls.inventory, sku), 0);
  });
});

describe('commit', () => {
  test('of a released reservation is refused', async () => {
    const sku = unique('SKU');
    await setStock(svc.urls.inventory, sku, 1);
    const [orderId, key] = [unique('order'), unique('key')];
    await reserve(key, orderId, [{ sku, quantity: 1 }]);
    await release(orderId, key);
    const res = await commit(orderId, key);
    assert.equal(res.status, 409);
    assert.equal(res.body.error?.code, 'reservation_released');
  });

  test('of an unknown reservation is 404', async () => {
    const res = await commit(unique('order'), unique('key'));
    assert.equal(res.status, 404);
    assert.equal(res.body.error?.code, 'reservation_not_found');
  });

  test('twice (different keys) answers committed both times', async () => {
    const sku = unique('SKU');
    await setStock(svc.urls.inventory, sku, 1);
    const [orderId, key] = [unique('order'), unique('key')];
    const made = await reserve(key, orderId, [{ sku, quantity: 1 }]);
    const expected = { reservationId: made.body.reservationId, status: 'committed' };
    assert.deepEqual((await commit(orderId, key)).body, expected);
    assert.deepEqual((await commit(orderId, key)).body, expected);
  });
});

describe('catalogue and admin', () => {
  test('the demo catalogue is seeded, and seeding again keeps current stock', async () => {
    const mug = DEMO_CATALOGUE[0];
    assert.ok(mug);
    await setStock(svc.urls.inventory, mug.sku, 7);
    await seedCatalogue(svc.db);
    assert.equal(await availableStock(svc.urls.inventory, mug.sku), 7);
    const listed = await http(svc.urls.inventory, 'GET', '/stock');
    const skus = (listed.body.stock as { sku: string }[]).map((s) => s.sku);
    for (const item of DEMO_CATALOGUE) assert.ok(skus.includes(item.sku), item.sku);
  });

  test('stock is set over HTTP and validated', async () => {
    const sku = unique('SKU');
    assert.equal((await http(svc.urls.inventory, 'PUT', `/stock/${sku}`, { available: -1 })).status, 400);
    assert.equal((await http(svc.urls.inventory, 'GET', `/stock/${sku}`)).status, 404);
    const set = await http(svc.urls.inventory, 'PUT', `/stock/${sku}`, { available: 12, name: 'Test widget' });
    assert.deepEqual(set.body, { sku, name: 'Test widget', available: 12, reserved: 0 });
  });

  test('the reservations ledger lists lines and status per order', async () => {
    const sku = unique('SKU');
    await setStock(svc.urls.inventory, sku, 5);
    const [orderId, key] = [unique('order'), unique('key')];
    await reserve(key, orderId, [{ sku, quantity: 2 }]);
    await release(orderId, key);
    const listed = await http(svc.urls.inventory, 'GET', `/reservations?orderId=${orderId}`);
    const reservations = listed.body.reservations as { reservationKey: string; status: string; items: unknown }[];
    assert.equal(reservations.length, 1);
    assert.equal(reservations[0]?.reservationKey, key);
    assert.equal(reservations[0]?.status, 'released');
    assert.deepEqual(reservations[0]?.items, [{ sku, quantity: 2 }]);
  });
});
