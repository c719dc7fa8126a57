/** Charges and refunds. Each function runs inside the caller's (idempotent) transaction. */
import type { Queryable } from '../db/database';
import { rejection, type Outcome } from '../http/outcome';
import { iso, newId } from '../http/rows';
import { declineFor } from './outcomes';

interface ChargeRow {
  charge_id: string;
  order_id: string;
  amount: number;
  currency: string;
  status: 'captured' | 'refunded' | 'declined' | 'voided';
}

export async function capture(
  tx: Queryable,
  input: { orderId: string; customerId: string; amount: number; currency: string },
  captureKey: string,
): Promise<Outcome> {
  const [voided] = await tx.query(
    `SELECT charge_id FROM payments_charges WHERE capture_key = $1 AND status = 'voided'`,
    [captureKey],
  );
  if (voided)
    return rejection(409, 'capture_voided', `capture ${captureKey} was refunded before it arrived; use a new key`);
  const chargeId = newId('ch');
  const decline = declineFor(input.customerId);
  await tx.query(
    `INSERT INTO payments_charges
       (charge_id, capture_key, order_id, customer_id, amount, currency, status, decline_code)
     VALUES ($1, $2, $3, $4, $5, $6, $7, $8)`,
    [
      chargeId,
      captureKey,
      input.orderId,
      input.customerId,
      input.amount,
      input.currency,
      decline ? 'declined' : 'captured',
      decline?.code ?? null,
    ],
  );
  if (decline) return rejection(402, decline.code, decline.message, { chargeId });
  return {
    status: 201,
    body: { chargeId, orderId: input.orderId, amount: input.amount, currency: input.currency, status: 'captured' },
  };
}

/** Compensation: refunds the capture made with `captureKey` in full, at most once. */
export async function refund(
  tx: Queryable,
  input: { orderId: string; captureKey: string },
  refundKey: string,
): Promise<Outcome> {
  const [charge] = await tx.query<ChargeRow & Record<string, unknown>>(
    `SELECT charge_id, order_id, amount, currency, status FROM payments_charges WHERE capture_key = $1 FOR UPDATE`,
    [input.captureKey],
  );
  if (!charge) {
    // Void the key (same UNIQUE column as a capture) so a capture still in flight cannot charge after its refund ran.
    await tx.query(
      `INSERT INTO payments_charges (charge_id, capture_key, order_id, status) VALUES ($1, $2, $3, 'voided')`,
      [newId('ch'), input.captureKey, input.orderId],
    );
    return { status: 200, body: { status: 'not_found', id: null } };
  }
  if (charge.order_id !== input.orderId) {
    return rejection(
      409,
      'order_mismatch',
      `capture ${input.captureKey} belongs to order ${charge.order_id}, not ${input.orderId}`,
    );
  }
  switch (charge.status) {
    case 'voided':
    case 'declined':
      return { status: 200, body: { status: 'not_found', id: null } };
    case 'refunded': {
      const [existing] = await tx.query<{ refund_id: string }>(
        `SELECT refund_id FROM payments_refunds WHERE charge_id = $1`,
        [charge.charge_id],
      );
      return { status: 200, body: { status: 'refunded', id: existing?.refund_id ?? null } };
    }
    case 'captured': {
      const refundId = newId('re');
      await tx.query(
        `INSERT INTO payments_refunds (refund_id, charge_id, refund_key, order_id, amount, currency)
         VALUES ($1, $2, $3, $4, $5, $6)`,
        [refundId, charge.charge_id, refundKey, input.orderId, charge.amount, charge.currency],
      );
      await tx.query(`UPDATE payments_charges SET status = 'refunded' WHERE charge_id = $1`, [charge.charge_id]);
      return { status: 200, body: { status: 'refunded', id: refundId } };
    }
  }
}

export async function listCharges(db: Queryable, orderId: string | null): Promise<unknown[]> {
  const rows = await db.query(
    `SELECT charge_id, capture_key, order_id, customer_id, amount, currency, status, decline_code, created_at
     FROM payments_charges WHERE ($1::text IS NULL OR order_id = $1) ORDER BY created_at, charge_id`,
    [orderId],
  );
  return rows.map((r) => ({
    chargeId: r.charge_id,
    captureKey: r.capture_key,
    orderId: r.order_id,
    customerId: r.customer_id,
    amount: r.amount,
    currency: r.currency,
    status: r.status,
    declineCode: r.decline_code,
    createdAt: iso(r.created_at),
  }));
}

export async function listRefunds(db: Queryable, orderId: string | null): Promise<unknown[]> {
  const rows = await db.query(
    `SELECT r.refund_id, r.charge_id, c.capture_key, r.refund_key, r.order_id, r.amount, r.currency, r.created_at
     FROM payments_refunds r JOIN payments_charges c ON c.charge_id = r.charge_id
     WHERE ($1::text IS NULL OR r.order_id = $1) ORDER BY r.created_at, r.refund_id`,
    [orderId],
  );
  return rows.map((r) => ({
    refundId: r.refund_id,
    chargeId: r.charge_id,
    captureKey: r.capture_key,
    refundKey: r.refund_key,
    orderId: r.order_id,
    amount: r.amount,
    currency: r.currency,
    createdAt: iso(r.created_at),
  }));
}
