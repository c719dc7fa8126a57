/**
 * Stock and reservations. Every function runs inside the caller's transaction; stock rows
 * are locked (FOR UPDATE, in SKU order so two reservations cannot deadlock) before they
 * are checked and changed, so concurrent reservations never oversell or lose an update.
 */
import type { Queryable } from '../db/database';
import { rejection, type Outcome } from '../http/outcome';
import { iso, newId } from '../http/rows';

export interface ReservationLine {
  sku: string;
  quantity: number;
}

interface ReservationRow {
  reservation_id: string;
  order_id: string;
  status: 'reserved' | 'released' | 'committed' | 'voided';
}

/** Merges repeated SKUs so each stock row is checked once against the total asked. */
function mergeLines(items: readonly ReservationLine[]): ReservationLine[] {
  const totals = new Map<string, number>();
  for (const { sku, quantity } of items) totals.set(sku, (totals.get(sku) ?? 0) + quantity);
  return [...totals.entries()]
    .sort(([a], [b]) => (a < b ? -1 : a > b ? 1 : 0))
    .map(([sku, quantity]) => ({ sku, quantity }));
}

async function findReservation(tx: Queryable, reservationKey: string): Promise<ReservationRow | undefined> {
  const [row] = await tx.query<ReservationRow & Record<string, unknown>>(
    `SELECT reservation_id, order_id, status FROM inventory_reservations WHERE reservation_key = $1 FOR UPDATE`,
    [reservationKey],
  );
  return row;
}

function orderMismatch(reservationKey: string, orderId: string, row: ReservationRow): Outcome {
  return rejection(
    409,
    'order_mismatch',
    `reservation ${reservationKey} belongs to order ${row.order_id}, not ${orderId}`,
  );
}

/** All or nothing: either every line is reserved, or nothing changes and the shortages are reported. */
export async function reserve(
  tx: Queryable,
  input: { orderId: string; items: ReservationLine[] },
  reservationKey: string,
): Promise<Outcome> {
  const existing = await findReservation(tx, reservationKey);
  if (existing?.status === 'voided') {
    return rejection(
      409,
      'reservation_voided',
      `reservation ${reservationKey} was released before it arrived; use a new key`,
    );
  }
  const lines = mergeLines(input.items);
  const stock = await tx.query<{ sku: string; available: number }>(
    `SELECT sku, available FROM inventory_skus WHERE sku = ANY($1::text[]) ORDER BY sku FOR UPDATE`,
    [lines.map((l) => l.sku)],
  );
  const available = new Map(stock.map((row) => [row.sku, row.available]));
  const shortages = lines
    .filter((line) => (available.get(line.sku) ?? 0) < line.quantity)
    .map((line) => ({
      sku: line.sku,
      requested: line.quantity,
      available: available.get(line.sku) ?? 0,
      known: available.has(line.sku),
    }));
  if (shortages.length > 0) {
    return rejection(409, 'out_of_stock', `not enough stock for ${shortages.map((s) => s.sku).join(', ')}`, {
      shortages,
    });
  }
  const reservationId = newId('rsv');
  await tx.query(
    `INSERT INTO inventory_reservations (reservation_id, reservation_key, order_id, status)
     VALUES ($1, $2, $3, 'reserved')`,
    [reservationId, reservationKey, input.orderId],
  );
  for (const line of lines) {
    await tx.query(`UPDATE inventory_skus SET available = available - $2 WHERE sku = $1`, [line.sku, line.quantity]);
    await tx.query(`INSERT INTO inventory_reservation_lines (reservation_id, sku, quantity) VALUES ($1, $2, $3)`, [
      reservationId,
      line.sku,
      line.quantity,
    ]);
  }
  return { status: 201, body: { reservationId, orderId: input.orderId, status: 'reserved', items: lines } };
}

/** Compensation: gives the stock back. Unknown key → not_found (and the key is voided). */
export async function release(tx: Queryable, input: { orderId: string; reservationKey: string }): Promise<Outcome> {
  const row = await findReservation(tx, input.reservationKey);
  if (!row) {
    // Void the key so a reserve still in flight cannot take stock after its compensation ran.
    await tx.query(
      `INSERT INTO inventory_reservations (reservation_id, reservation_key, order_id, status)
       VALUES ($1, $2, $3, 'voided')`,
      [newId('rsv'), input.reservationKey, input.orderId],
    );
    return { status: 200, body: { status: 'not_found', id: null } };
  }
  if (row.order_id !== input.orderId) return orderMismatch(input.reservationKey, input.orderId, row);
  switch (row.status) {
    case 'voided':
      return { status: 200, body: { status: 'not_found', id: null } };
    case 'committed':
      return rejection(
        409,
        'reservation_committed',
        `reservation ${row.reservation_id} was committed (goods shipped) and can no longer be released`,
      );
    case 'released':
      return { status: 200, body: { status: 'released', id: row.reservation_id } };
    case 'reserved':
      await tx.query(
        `UPDATE inventory_skus s SET available = s.available + l.quantity
         FROM inventory_reservation_lines l WHERE l.reservation_id = $1 AND l.sku = s.sku`,
        [row.reservation_id],
      );
      await tx.query(
        `UPDATE inventory_reservations SET status = 'released', updated_at = now() WHERE reservation_id = $1`,
        [row.reservation_id],
      );
      return { status: 200, body: { status: 'released', id: row.reservation_id } };
  }
}

/** The goods left the warehouse: the reservation is consumed for good. */
export async function commit(tx: Queryable, input: { orderId: string; reservationKey: string }): Promise<Outcome> {
  const row = await findReservation(tx, input.reservationKey);
  if (!row) return rejection(404, 'reservation_not_found', `no reservation was made with key ${input.reservationKey}`);
  if (row.order_id !== input.orderId) return orderMismatch(input.reservationKey, input.orderId, row);
  switch (row.status) {
    case 'voided':
    case 'released':
      return rejection(
        409,
        'reservation_released',
        `reservation ${row.reservation_id} was released and cannot be committed`,
      );
    case 'reserved':
      await tx.query(
        `UPDATE inventory_reservations SET status = 'committed', updated_at = now() WHERE reservation_id = $1`,
        [row.reservation_id],
      );
      return { status: 200, body: { reservationId: row.reservation_id, status: 'committed' } };
    case 'committed':
      return { status: 200, body: { reservationId: row.reservation_id, status: 'committed' } };
  }
}

export async function listReservations(db: Queryable, orderId: string | null): Promise<unknown[]> {
  const rows = await db.query<{
    reservation_id: string;
    reservation_key: string;
    order_id: string;
    status: string;
    items: ReservationLine[];
    created_at: unknown;
    updated_at: unknown;
  }>(
    `SELECT r.reservation_id, r.reservation_key, r.order_id, r.status, r.created_at, r.updated_at,
            COALESCE(
              jsonb_agg(jsonb_build_object('sku', l.sku, 'quantity', l.quantity) ORDER BY l.sku)
                FILTER (WHERE l.sku IS NOT NULL),
              '[]'::jsonb
            ) AS items
     FROM inventory_reservations r LEFT JOIN inventory_reservation_lines l ON l.reservation_id = r.reservation_id
     WHERE ($1::text IS NULL OR r.order_id = $1)
     GROUP BY r.reservation_id
     ORDER BY r.created_at, r.reservation_id`,
    [orderId],
  );
  return rows.map((r) => ({
    reservationId: r.reservation_id,
    reservationKey: r.reservation_key,
    orderId: r.order_id,
    status: r.status,
    items: r.items,
    createdAt: iso(r.created_at),
    updatedAt: iso(r.updated_at),
  }));
}

/** Stock per SKU: `available` to reserve, and `reserved` (held by open reservations). */
export async function listStock(
  db: Queryable,
  sku: string | null,
): Promise<{ sku: string; name: string; available: number; reserved: number }[]> {
  const rows = await db.query<{ sku: string; name: string; available: number; reserved: number }>(
    `SELECT s.sku, s.name, s.available,
            COALESCE((SELECT sum(l.quantity) FROM inventory_reservation_lines l
                      JOIN inventory_reservations r ON r.reservation_id = l.reservation_id
                      WHERE l.sku = s.sku AND r.status = 'reserved'), 0)::integer AS reserved
     FROM inventory_skus s WHERE ($1::text IS NULL OR s.sku = $1) ORDER BY s.sku`,
    [sku],
  );
  return rows;
}

/** Admin: sets the stock available to reserve (creates the SKU if new). Absolute, hence idempotent. */
export async function setStock(
  db: Queryable,
  input: { sku: string; available: number; name?: string | undefined },
): Promise<void> {
  await db.query(
    `INSERT INTO inventory_skus (sku, name, available) VALUES ($1, $2, $3)
     ON CONFLICT (sku) DO UPDATE SET available = EXCLUDED.available, name = COALESCE($4, inventory_skus.name)`,
    [input.sku, input.name ?? input.sku, input.available, input.name ?? null],
  );
}
