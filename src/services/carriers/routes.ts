/**
 * Carrier service; two instances run (primary and backup), each under its own name.
 *   POST /shipments  {orderId, address, items}  Idempotency-Key → 201 {shipmentId, trackingNumber, carrier} | 422 address_rejected
 *   GET  /shipments?orderId=
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
import type { ServiceParts } from '../service-parts';

export const UNDELIVERABLE_POSTAL_CODE = '00000';

const text = z.string().min(1).max(200);
const dispatchBody = z.strictObject({
  orderId,
  address: z.strictObject({ name: text, line1: text, line2: z.string().max(200).optional(), city: text, postalCode: z.string().min(1).max(20), country }),
  items: itemLines,
});
type DispatchInput = z.output<typeof dispatchBody>;

function trackingNumber(carrier: string): string {
  const prefix = carrier.replace(/[^A-Za-z]/g, '').slice(0, 3).toUpperCase().padEnd(3, 'X');
  return `${prefix}${String(randomInt(0, 1e10)).padStart(10, '0')}`;
}

async function dispatch(tx: Queryable, carrier: string, input: DispatchInput, dispatchKey: string): Promise<Outcome> {
  if (input.address.postalCode === UNDELIVERABLE_POSTAL_CODE) {
    return rejection(422, 'address_rejected', `${carrier} cannot deliver to postal code ${input.address.postalCode}`);
  }
  const shipmentId = newId('shp');
  const tracking = trackingNumber(carrier);
  await tx.query(
    `INSERT INTO carrier_shipments (shipment_id, carrier, dispatch_key, order_id, tracking_number, address, items)
     VALUES ($1, $2, $3, $4, $5, $6::jsonb, $7::jsonb)`,
    [shipmentId, carrier, dispatchKey, input.orderId, tracking, JSON.stringify(input.address), JSON.stringify(input.items)],
  );
  return { status: 201, body: { shipmentId, trackingNumber: tracking, carrier } };
}

export function carrierService(db: Database, carrier: string): ServiceParts {
  const business = Router();
  business.post(
    '/shipments',
    idempotentHandler({ db, scope: `carrier.${carrier}.dispatch`, schema: dispatchBody, effect: (tx, input, key) => dispatch(tx, carrier, input, key) }),
  );

  const operator = Router();
  operator.get('/shipments', async (req, res) => {
    const rows = await db.query(
      `SELECT shipment_id, carrier, dispatch_key, order_id, tracking_number, address, items, created_at FROM carrier_shipments
       WHERE carrier = $1 AND ($2::text IS NULL OR order_id = $2) ORDER BY created_at, shipment_id`,
      [carrier, orderIdFilter(req)],
    );
    res.json({
      shipments: rows.map((r) => ({
        shipmentId: r.shipment_id,
        carrier: r.carrier,
        dispatchKey: r.dispatch_key,
        orderId: r.order_id,
        trackingNumber: r.tracking_number,
        address: r.address,
        items: r.items,
        createdAt: iso(r.created_at),
      })),
    });
  });
  return { business, operator };
}
