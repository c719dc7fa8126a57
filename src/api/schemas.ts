/**
 * What callers may send, as zod schemas: the single source for request validation and for
 * the request side of /openapi.json. Objects are strict (unknown fields are an error) and
 * money is an integer in minor units.
 */
import type { Request } from 'express';
import { z } from 'zod';
import { Problem } from './problem';
import { CURRENCY_CODES } from './currencies';
import { lineText, noteText, optionalNoteText } from './text-fields';
import { OrderStatus } from '../workflows/order-status';
import type { OrderRequest } from '../workflows/order-types';

/** Characters safe in a workflow id, a URL path segment and a visibility query literal. */
const SAFE_ID = /^[A-Za-z0-9._:@-]+$/;

/**
 * An email address as the server accepts it, spelled as a plain pattern (no `format: email`,
 * whose meaning varies between validators): a dot-separated local part, a domain of labels and a
 * top-level domain of letters. Stricter than RFC 5322 on purpose: no quoted local parts, no IP
 * literals, no non-ASCII.
 */
const emailSchema = z
  .string()
  .max(254)
  .regex(
    /^[A-Za-z0-9_'+-]+(\.[A-Za-z0-9_'+-]+)*@([A-Za-z0-9]([A-Za-z0-9-]*[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$/,
    'expected an email address such as ada@example.com',
  );

export const customerIdSchema = z
  .string()
  .min(1)
  .max(64)
  .regex(SAFE_ID, 'letters, digits and . _ : @ - only')
  .meta({ description: 'Customer identifier in your systems.', examples: ['cust-1001'] });

export const orderRequestSchema = z
  .strictObject({
    customer: z.strictObject({
      id: customerIdSchema,
      email: emailSchema,
      name: lineText(200).optional(),
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
      .meta({
        description: 'Order lines; a SKU on several lines (e.g. at another price) is counted together for stock.',
      }),
    currency: z
      .enum(CURRENCY_CODES, { error: 'expected an active ISO 4217 currency code such as EUR' })
      .meta({ description: 'ISO 4217 currency code.', examples: ['EUR'] }),
    shippingAddress: z.strictObject({
      name: lineText(200),
      line1: lineText(200),
      line2: lineText(200).optional(),
      city: lineText(100),
      postalCode: lineText(20),
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
    comment: optionalNoteText(1000).optional(),
  })
  .meta({ description: "An approver's decision; the approver is the caller's token identity." });

export const cancelRequestSchema = z
  .strictObject({
    reason: noteText(500),
  })
  .meta({ description: "Why the order is cancelled; the requester is the caller's token identity." });

export const retryRequestSchema = z
  .strictObject({
    reason: noteText(500).optional(),
  })
  .meta({ description: "An operator retry of a parked order; the operator is the caller's token identity." });

export const drainRequestSchema = z
  .strictObject({
    reason: noteText(500)
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
