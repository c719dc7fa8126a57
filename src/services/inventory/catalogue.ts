import type { Queryable } from '../db/database';

/** The demo catalogue seeded at startup. Seeding never overwrites stock that already exists. */
export const DEMO_CATALOGUE: readonly { sku: string; name: string; available: number }[] = [
  { sku: 'SKU-MUG-001', name: 'Enamel camp mug', available: 500 },
  { sku: 'SKU-TEE-002', name: 'Organic cotton T-shirt', available: 300 },
  { sku: 'SKU-BOOK-003', name: 'Distributed systems handbook', available: 120 },
  { sku: 'SKU-LAMP-004', name: 'Desk lamp', available: 60 },
  { sku: 'SKU-CHAIR-005', name: 'Ergonomic chair', available: 25 },
  { sku: 'SKU-DESK-006', name: 'Standing desk', available: 10 },
  { sku: 'SKU-PHONE-007', name: 'Refurbished phone', available: 40 },
  /** Always out of stock: reserving it demonstrates the OutOfStock path. */
  { sku: 'SKU-RARE-000', name: 'Limited edition print', available: 0 },
];

export async function seedCatalogue(db: Queryable, catalogue = DEMO_CATALOGUE): Promise<void> {
  for (const item of catalogue) {
    await db.query(
      `INSERT INTO inventory_skus (sku, name, available) VALUES ($1, $2, $3) ON CONFLICT (sku) DO NOTHING`,
      [item.sku, item.name, item.available],
    );
  }
}
