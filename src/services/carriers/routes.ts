/**
 * Carrier service; two instances run (primary and backup), each under its own name.
 *   POST /shipments       {orderId, address, items}  Idempotency-Key
 *                         → 201 {shipmentId, trackingNumber, carrier} | 422 address_rejected | 409 shipment_voided
 *   POST /shipments/void  {orderId, shipmentKey}       Idempotency-Key → 200 {status: voided|not_found, id}
 *   GET  /shipments?orderId=   (status dispatched | voided)
 * Magic value: postalCode "00000" is undeliverable (AddressRejectedError).
 */
import { randomInt } from 'node:crypto';
import { Router } from 'express';
import { z } from 'zod';
import type { Database, Queryable } from '../db/database';
import { idempotentHandler } from '../http/idempotency';
import { rejection, type Outcome } from '../http/outcome';
import { iso, newId } from '../http/rows';
import { country, itemLines, orderId } from '../http/schemas';
import { orderIdFilter } from '../http/validation';
import { OperatorRoutes, type ServiceParts } from '../service-parts';

export const UNDELIVERABLE_POSTAL_CODE = '00000';

const text = z.string().min(1).max(200);
const dispatchBody = z.strictObject({
  orderId,
  address: z.strictObject({
    name: text,
    line1: text,
    line2: z.string().max(200).optional(),
    city: text,
    postalCode: z.string().min(1).max(20),
    country,
  }),
  items: itemLines,
});
type DispatchInput = z.output<typeof dispatchBody>;

function trackingNumber(carrier: string): string {
  const prefix = carrier
    .replace(/[^A-Za-z]/g, '')
    .slice(0, 3)
    .toUpperCase()
    .padEnd(3, 'X');
  return `${prefix}${String(randomInt(0, 1e10)).padStart(10, '0')}`;
}

const voidBody = z.strictObject({ orderId, shipmentKey: z.string().min(1).max(200) });

/** 409 when the dispatch key was voided: before its request arrived, or after it shipped (then cancelled). */
async function voidedKey(tx: Queryable, carrier: string, dispatchKey: string): Promise<Outcome | null> {
  const [voided] = await tx.query(
    `SELECT 1 FROM carrier_shipments WHERE carrier = $1 AND dispatch_key = $2 AND status = 'voided'`,
    [carrier, dispatchKey],
  );
  return voided ? rejection(409, 'shipment_voided', `dispatch ${dispatchKey} was voided; use a new key`) : null;
}

async function dispatch(tx: Queryable, carrier: string, input: DispatchInput, dispatchKey: string): Promise<Outcome> {
  const voided = await voidedKey(tx, carrier, dispatchKey);
  if (voided) return voided;
  if (input.address.postalCode === UNDELIVERABLE_POSTAL_CODE) {
    return rejection(422, 'address_rejected', `${carrier} cannot deliver to postal code ${input.address.postalCode}`);
  }
  const shipmentId = newId('shp');
  const tracking = trackingNumber(carrier);
  await tx.query(
    `INSERT INTO carrier_shipments (shipment_id, carrier, dispatch_key, order_id, tracking_number, address, items)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)`,
    [
      shipmentId,
      carrier,
      dispatchKey,
      input.orderId,
      tracking,
      JSON.stringify(input.address),
      JSON.stringify(input.items),
    ],
  );
  return { status: 201, body: { shipmentId, trackingNumber: tracking, carrier } };
}

/**
 * Voids the dispatch made with `shipmentKey`: cancels the shipment, or, when none arrived,
 * stores a voided marker under the key. The UNIQUE (carrier, dispatch_key) constraint makes a
 * racing dispatch and void serialize: one of them fails and is retried, and then sees the other.
 */
async function voidDispatch(tx: Queryable, carrier: string, input: z.output<typeof voidBody>): Promise<Outcome> {
  const [row] = await tx.query<{
    shipment_id: string;
    order_id: string;
    status: string;
    tracking_number: string | null;
  }>(
    `SELECT shipment_id, order_id, status, tracking_number FROM carrier_shipments
     WHERE carrier = $1 AND dispatch_key = $2 FOR UPDATE`,
    [carrier, input.shipmentKey],
  );
  if (!row) {
    await tx.query(
      `INSERT INTO carrier_shipments (shipment_id, carrier, dispatch_key, order_id, status)
       VALUES ($1, $2, $3, $4, 'voided')`,
      [newId('shp'), carrier, input.shipmentKey, input.orderId],
    );
    return { status: 200, body: { status: 'not_found', id: null } };
  }
  if (row.order_id !== input.orderId)
    return rejection(409, 'order_mismatch', `dispatch ${input.shipmentKey} belongs to another order`);
  // A marker row (no tracking number) means nothing was ever shipped under this key.
  if (row.tracking_number === null) return { status: 200, body: { status: 'not_found', id: null } };
  if (row.status !== 'voided')
    await tx.query(`UPDATE carrier_shipments SET status = 'voided' WHERE shipment_id = $1`, [row.shipment_id]);
  return { status: 200, body: { status: 'voided', id: row.shipment_id } };
}

export function carrierService(db: Database, carrier: string): ServiceParts {
  const business = Router();
  business.post(
    '/shipments',
    idempotentHandler({
      db,
      scope: `carrier.${carrier}.dispatch`,
      schema: dispatchBody,
      effect: (tx, input, key) => dispatch(tx, carrier, input, key),
      // A repeat of a dispatch voided since never answers "shipped" again.
      supersede: (tx, key) => voidedKey(tx, carrier, key),
    }),
  );
  business.post(
    '/shipments/void',
    idempotentHandler({
      db,
      scope: `carrier.${carrier}.void`,
      schema: voidBody,
      effect: (tx, input) => voidDispatch(tx, carrier, input),
    }),
  );

  const operator = new OperatorRoutes();
  operator.get('/shipments', async (req, res) => {
    const rows = await db.query(
      `SELECT shipment_id, carrier, dispatch_key, order_id, status, tracking_number, address, items, created_at
       FROM carrier_shipments
       WHERE carrier = $1 AND ($2::text IS NULL OR order_id = $2) ORDER BY created_at, shipment_id`,
      [carrier, orderIdFilter(req)],
    );
    res.json({
      shipments: rows.map((r) => ({
        shipmentId: r.shipment_id,
        carrier: r.carrier,
        dispatchKey: r.dispatch_key,
        orderId: r.order_id,
        status: r.status,
        trackingNumber: r.tracking_number,
        address: r.address,
        items: r.items,
        createdAt: iso(r.created_at),
      })),
    });
  });
  return { business, operator };
}
