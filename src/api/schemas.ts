/**
 * What callers may send, as zod schemas: the single source for request validation and for
 * the request side of /openapi.json. Objects are strict (unknown fields are an error) and
 * money is an integer in minor units.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { Problem } from './problem';
import { OrderStatus } from '../workflows/order-status';
import type { OrderRequest } from '../workflows/order-types';

/** Characters safe in a workflow id, a URL path segment and a visibility query literal. */
const SAFE_ID = /^[A-Za-z0-9._:@-]+$/;

export const customerIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(SAFE_ID, 'letters, digits and . _ : @ - only')
  .meta({ description: 'Customer identifier in your systems.', examples: ['cust-1001'] });

const text = (max: number) => z.string().trim().min(1).max(max);

export const orderRequestSchema = z
  .strictObject({
    customer: z.strictObject({
      id: customerIdSchema,
      email: z.email().max(254),
      name: text(200).optional(),
    }),
    items: z
      .array(
        z.strictObject({
          sku: z
            .string()
            .min(1)
            .max(64)
            .regex(/^[A-Za-z0-9._-]+$/, 'letters, digits and . _ - only'),
          quantity: z.int().min(1).max(10_000),
          unitPrice: z
            .int()
            .min(0)
            .max(100_000_000)
            .meta({ description: 'Price of one unit in minor units (e.g. cents).' }),
        }),
      )
      .min(1)
      .max(100)
      .refine((items) => new Set(items.map((i) => i.sku)).size === items.length, 'each sku may appear only once'),
    currency: z
      .string()
      .regex(/^[A-Z]{3}$/, 'an ISO 4217 code of three uppercase letters')
      .meta({ description: 'ISO 4217 currency code.', examples: ['EUR'] }),
    shippingAddress: z.strictObject({
      name: text(200),
      line1: text(200),
      line2: text(200).optional(),
      city: text(100),
      postalCode: z.string().trim().min(1).max(20),
      country: z
        .string()
        .regex(/^[A-Z]{2}$/, 'an ISO 3166-1 alpha-2 code of two uppercase letters')
        .meta({ description: 'ISO 3166-1 alpha-2 country code.', examples: ['DE'] }),
    }),
  })
  .meta({ description: 'A new order. Amounts are integers in minor units of `currency`.' });

export type ValidOrderRequest = z.output<typeof orderRequestSchema>;
/** Also a compile-time check that the schema produces what the workflow accepts. */
export const asOrderRequest = (request: ValidOrderRequest): OrderRequest => request;

export const approvalDecisionSchema = z
  .strictObject({
    decision: z.enum(['approve', 'reject']),
    comment: z.string().trim().max(1000).optional(),
  })
  .meta({ description: "An approver's decision; the approver is the caller's token identity." });

export const cancelRequestSchema = z
  .strictObject({
    reason: text(500),
  })
  .meta({ description: "Why the order is cancelled; the requester is the caller's token identity." });

export const retryRequestSchema = z
  .strictObject({
    reason: text(500).optional(),
  })
  .meta({ description: "An operator retry of a parked order; the operator is the caller's token identity." });

export const drainRequestSchema = z
  .strictObject({
    reason: text(500)
      .optional()
      .meta({ description: 'Recorded on every retried order; defaults to "dead-letter drain".' }),
    limit: z.int().min(1).max(1000).default(100).meta({ description: 'Most parked orders retried by this call.' }),
  })
  .meta({ description: "Retry every order parked in NEEDS_ATTENTION; the operator is the caller's token identity." });

export interface DrainResult {
  orderId: string;
  outcome: 'retried' | 'refused' | 'failed';
  detail?: string;
}

export interface DrainReport {
  found: number;
  retried: number;
  refused: number;
  failed: number;
  orders: DrainResult[];
}

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
export const idempotencyKeySchema = z
  .string()
  .regex(/^[A-Za-z0-9_-]{8,100}$/, 'expected 8-100 letters, digits, "-" or "_" (a UUID works)')
  .meta({
    description: 'Client-chosen key; the same key always means the same order.',
    examples: ['3f1c2b0e-4d8a-4c0e-9a51-6f2d7e9b1a44'],
  });

export const ORDER_ID_PREFIX = 'order-';
export const orderIdSchema = z
  .string()
  .regex(/^order-[A-Za-z0-9_-]{8,100}$/, 'expected an order id such as order-<idempotency key>')
  .meta({
    description: 'The order id: `order-` followed by the idempotency key it was created with.',
    examples: ['order-3f1c2b0e-4d8a-4c0e-9a51-6f2d7e9b1a44'],
  });

export function orderIdFor(idempotencyKey: string): string {
  return `${ORDER_ID_PREFIX}${idempotencyKey}`;
}

export const orderStatusSchema = z.enum(Object.values(OrderStatus) as [OrderStatus, ...OrderStatus[]]);

export const listOrdersQuerySchema = z.strictObject({
  status: orderStatusSchema.optional(),
  customerId: customerIdSchema.optional(),
  pageSize: z.coerce.number().int().min(1).max(100).default(20),
  cursor: z
    .string()
    .max(4096)
    .regex(/^[A-Za-z0-9_-]+$/, 'expected the opaque cursor from a previous page')
    .optional()
    .meta({ description: "Opaque cursor from the previous page's `nextCursor`." }),
});
export type ListOrdersQuery = z.output<typeof listOrdersQuerySchema>;

/** Zod issues as field errors, e.g. `items.0.quantity`; `root` names issues about the whole input. */
export function fieldErrors(error: z.ZodError, root = '(body)'): { field: string; message: string }[] {
  return error.issues.map((issue) => ({
    field: issue.path.length > 0 ? issue.path.join('.') : root,
    message: issue.message,
  }));
}

/** The order id from the path; an id that cannot exist is simply an unknown order. */
export function orderIdParam(req: Request): string {
  const parsed = orderIdSchema.safeParse(req.params.id);
  if (!parsed.success) throw new Problem('order-not-found', 'No order with this id.');
  return parsed.data;
}
