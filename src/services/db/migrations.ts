/**
 * Schema of the reference services, as plain SQL that runs unchanged on PGlite and
 * PostgreSQL. Migrations are append-only: never edit one that has shipped, add the next.
 * Each runs once, in its own transaction, recorded in `schema_migrations`.
 */
import type { Database } from './database';

export interface Migration {
  id: string;
  sql: string;
}

export const MIGRATIONS: readonly Migration[] = [
  {
    id: '001_ledgers',
    sql: `
      -- Every effectful request: its key is claimed in the same transaction as its effect,
      -- and the response is kept so a repeat gets the original answer.
      CREATE TABLE idempotency_keys (
        scope        text        NOT NULL,
        key          text        NOT NULL,
        request      jsonb       NOT NULL,
        status_code  integer,
        response     jsonb,
        created_at   timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT idempotency_keys_scope_key_unique UNIQUE (scope, key)
      );

      CREATE TABLE inventory_skus (
        sku        text    PRIMARY KEY,
        name       text    NOT NULL,
        available  integer NOT NULL CHECK (available >= 0)
      );

      CREATE TABLE inventory_reservations (
        reservation_id   text        PRIMARY KEY,
        reservation_key  text        NOT NULL CONSTRAINT inventory_reservations_key_unique UNIQUE,
        order_id         text        NOT NULL,
        -- voided: released before it was made (the reserve never arrived, or arrives later and is refused).
        status           text        NOT NULL CHECK (status IN ('reserved', 'released', 'committed', 'voided')),
        created_at       timestamptz NOT NULL DEFAULT now(),
        updated_at       timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX inventory_reservations_order_idx ON inventory_reservations (order_id);

      CREATE TABLE inventory_reservation_lines (
        reservation_id  text    NOT NULL REFERENCES inventory_reservations (reservation_id),
        sku             text    NOT NULL REFERENCES inventory_skus (sku),
        quantity        integer NOT NULL CHECK (quantity > 0),
        PRIMARY KEY (reservation_id, sku)
      );

      CREATE TABLE payments_charges (
        charge_id     text        PRIMARY KEY,
        capture_key   text        NOT NULL CONSTRAINT payments_charges_capture_key_unique UNIQUE,
        order_id      text        NOT NULL,
        customer_id   text,
        amount        integer     CHECK (amount > 0),
        currency      text,
        -- voided: refunded before it was captured (a late capture with this key is refused).
        status        text        NOT NULL CHECK (status IN ('captured', 'refunded', 'declined', 'voided')),
        decline_code  text,
        created_at    timestamptz NOT NULL DEFAULT now(),
        CHECK (status = 'voided' OR (customer_id IS NOT NULL AND amount IS NOT NULL AND currency IS NOT NULL))
      );
      CREATE INDEX payments_charges_order_idx ON payments_charges (order_id);

      CREATE TABLE payments_refunds (
        refund_id   text        PRIMARY KEY,
        charge_id   text        NOT NULL REFERENCES payments_charges (charge_id)
                                CONSTRAINT payments_refunds_charge_unique UNIQUE,
        refund_key  text        NOT NULL CONSTRAINT payments_refunds_key_unique UNIQUE,
        order_id    text        NOT NULL,
        amount      integer     NOT NULL,
        currency    text        NOT NULL,
        created_at  timestamptz NOT NULL DEFAULT now()
      );

      CREATE TABLE carrier_shipments (
        shipment_id      text        PRIMARY KEY,
        carrier          text        NOT NULL,
        dispatch_key     text        NOT NULL,
        order_id         text        NOT NULL,
        tracking_number  text        NOT NULL UNIQUE,
        address          jsonb       NOT NULL,
        items            jsonb       NOT NULL,
        created_at       timestamptz NOT NULL DEFAULT now(),
        CONSTRAINT carrier_shipments_carrier_key_unique UNIQUE (carrier, dispatch_key)
      );
      CREATE INDEX carrier_shipments_order_idx ON carrier_shipments (order_id);

      CREATE TABLE notifications (
        notification_id   text        PRIMARY KEY,
        notification_key  text        NOT NULL CONSTRAINT notifications_key_unique UNIQUE,
        order_id          text        NOT NULL,
        customer_id       text        NOT NULL,
        channel           text        NOT NULL CHECK (channel IN ('email', 'page')),
        recipient         text        NOT NULL,
        template          text        NOT NULL,
        data              jsonb       NOT NULL,
        created_at        timestamptz NOT NULL DEFAULT now()
      );
      CREATE INDEX notifications_order_idx ON notifications (order_id);
    `,
  },
  {
    // A carrier can void a dispatch: the shipment (or, when it never arrived, a marker row
    // holding its key) is 'voided', so a late request with that key is refused.
    id: '002_carrier_voids',
    sql: `
      ALTER TABLE carrier_shipments ADD COLUMN status text NOT NULL DEFAULT 'dispatched'
        CHECK (status IN ('dispatched', 'voided'));
      ALTER TABLE carrier_shipments ALTER COLUMN tracking_number DROP NOT NULL;
      ALTER TABLE carrier_shipments ALTER COLUMN address DROP NOT NULL;
      ALTER TABLE carrier_shipments ALTER COLUMN items DROP NOT NULL;
    `,
  },
];

/** Applies the migrations not applied yet. Safe to run at every start. */
export async function migrate(db: Database, migrations: readonly Migration[] = MIGRATIONS): Promise<string[]> {
  await db.exec(
    `CREATE TABLE IF NOT EXISTS schema_migrations (id text PRIMARY KEY, applied_at timestamptz NOT NULL DEFAULT now())`,
  );
  const applied: string[] = [];
  for (const migration of migrations) {
    const ran = await db.transaction(async (tx) => {
      // Claiming the id first makes a second process starting at the same time wait, then skip.
      const claimed = await tx.query(
        `INSERT INTO schema_migrations (id) VALUES ($1) ON CONFLICT (id) DO NOTHING RETURNING id`,
        [migration.id],
      );
      if (claimed.length === 0) return false;
      await tx.exec(migration.sql);
      return true;
    });
    if (ran) applied.push(migration.id);
  }
  return applied;
}
