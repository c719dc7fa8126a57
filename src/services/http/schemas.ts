/** Request fields shared by several services. */
import { z } from 'zod';

export const orderId = z.string().min(1).max(200);
export const idempotencyKeyRef = z.string().min(1).max(255);
export const sku = z.string().min(1).max(100);
export const itemLines = z
  .array(z.strictObject({ sku, quantity: z.int().positive().max(100_000) }))
  .min(1)
  .max(200);
/** Minor units (cents), never floats. */
export const amount = z.int().positive().max(2_000_000_000);
export const currency = z.string().regex(/^[A-Z]{3}$/, 'expected an ISO 4217 code, e.g. EUR');
export const country = z.string().regex(/^[A-Z]{2}$/, 'expected an ISO 3166-1 alpha-2 code, e.g. DE');
