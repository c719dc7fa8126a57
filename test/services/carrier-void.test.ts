/** A carrier's void: cancels a landed dispatch, or voids a key so a late dispatch is refused. */
import assert from 'node:assert/strict';
import { after, before, test } from 'node:test';
import { createHttpPorts } from '../../src/activities/clients';
import { InvalidRequestError } from '../../src/activities/errors';
import type { CarrierPort } from '../../src/activities/ports';
import { downstreamConfigFor, http, startTestServices, unique, type TestServices } from './harness';

let services: TestServices;
let primary: CarrierPort;
before(async () => {
  services = await startTestServices();
  primary = createHttpPorts(downstreamConfigFor(services)).primaryCarrier;
});
after(async () => {
  await services?.stop();
});

const parcel = (orderId: string) => ({
  orderId,
  address: { name: 'Ada', line1: '1 Loop Rd', city: 'London', postalCode: 'N1 9GU', country: 'GB' },
  items: [{ sku: 'SKU-MUG-001', quantity: 1 }],
});

async function shipmentsOf(orderId: string): Promise<{ status: string; dispatchKey: string }[]> {
  const res = await http(services.urls.primaryCarrier, 'GET', `/shipments?orderId=${orderId}`);
  return res.body.shipments as { status: string; dispatchKey: string }[];
}

test('voiding a landed dispatch cancels the shipment, once however often it is repeated', async () => {
  const orderId = unique('order');
  const shipmentKey = `${orderId}:dispatchShipment`;
  const shipment = await primary.dispatch(parcel(orderId), { idempotencyKey: shipmentKey });
  for (let i = 0; i < 5; i++) {
    const result = await primary.voidShipment({ orderId, shipmentKey }, { idempotencyKey: `${orderId}:voidShipment` });
    assert.deepEqual(result, { status: 'voided', id: shipment.shipmentId });
  }
  assert.deepEqual(
    (await shipmentsOf(orderId)).map((s) => s.status),
    ['voided'],
  );
});

test('a repeat of a dispatch that landed and was voided since is refused, never answered "shipped"', async () => {
  const orderId = unique('order');
  const shipmentKey = `${orderId}:dispatchShipment`;
  await primary.dispatch(parcel(orderId), { idempotencyKey: shipmentKey });
  await primary.voidShipment({ orderId, shipmentKey }, { idempotencyKey: `${orderId}:voidShipment` });
  await assert.rejects(
    primary.dispatch(parcel(orderId), { idempotencyKey: shipmentKey }),
    (err: unknown) => err instanceof InvalidRequestError && /voided/.test(err.message),
  );
  assert.deepEqual(
    (await shipmentsOf(orderId)).map((s) => s.status),
    ['voided'],
  );
});

test('voiding a key nothing arrived under refuses a late dispatch with it', async () => {
  const orderId = unique('order');
  const shipmentKey = `${orderId}:dispatchShipment`;
  assert.deepEqual(
    await primary.voidShipment({ orderId, shipmentKey }, { idempotencyKey: `${orderId}:voidShipment` }),
    { status: 'not_found', id: null },
  );
  await assert.rejects(
    primary.dispatch(parcel(orderId), { idempotencyKey: shipmentKey }),
    (err: unknown) => err instanceof InvalidRequestError,
  );
  const rows = await shipmentsOf(orderId);
  assert.deepEqual(
    rows.map((s) => [s.status, s.dispatchKey]),
    [['voided', shipmentKey]],
    'only the marker, no shipment',
  );
});

test("a void naming another order's dispatch is refused", async () => {
  const orderId = unique('order');
  const shipmentKey = `${orderId}:dispatchShipment`;
  await primary.dispatch(parcel(orderId), { idempotencyKey: shipmentKey });
  await assert.rejects(
    primary.voidShipment({ orderId: unique('other'), shipmentKey }, { idempotencyKey: unique('void') }),
    InvalidRequestError,
  );
  assert.deepEqual(
    (await shipmentsOf(orderId)).map((s) => s.status),
    ['dispatched'],
  );
});
