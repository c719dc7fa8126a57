/**
 * What the API answers, as zod schemas, for the response side of /openapi.json. The order
 * state schema is checked at compile time against the workflow's `OrderState`, so the
 * published contract cannot drift from what the query returns.
 */
import { z } from 'zod';
import type { OrderState, OrderStep } from '../workflows/definitions';
import { LIVE_QUERY_TIMEOUT_MS, type OrderRecords, type RecordsReason } from './orders-gateway';
import { PROBLEM_TYPE_BASE } from './problem';
import { customerIdSchema, type DrainReport, orderIdSchema, orderRequestSchema, orderStatusSchema } from './schemas';

const instant = z.string().meta({ description: 'Workflow time, ISO 8601.' });

// A record keyed by every step: the compiler flags a step added to (or removed from) OrderStep.
const ORDER_STEPS: Record<OrderStep, true> = {
  reserveInventory: true,
  scoreFraud: true,
  awaitApproval: true,
  capturePayment: true,
  dispatchShipment: true,
  commitInventory: true,
  notifyCustomer: true,
  releaseInventory: true,
  refundPayment: true,
  pageApprovers: true,
  scoreFraudByRules: true,
  voidShipment: true,
  raiseSlaAlert: true,
};
const orderStepSchema = z.enum(Object.keys(ORDER_STEPS) as [OrderStep, ...OrderStep[]]);

const fraudSchema = z.object({
  score: z.number().min(0).max(1),
  reasons: z.array(z.string()),
  scorer: z.enum(['model', 'rules']),
});

const policySchema = z.object({
  approvalThreshold: z.int(),
  fraudReviewBand: z.object({ low: z.number(), high: z.number() }),
  approvers: z.array(z.string()),
  approvalEscalateAfter: z.string(),
  approvalAutoRejectAfter: z.string(),
  inventoryLockedSla: z
    .string()
    .optional()
    .meta({
      description:
        'INVENTORY_LOCKED longer than this raises one alert; ' +
        'absent on orders started before the watchdog (300s applies).',
    }),
});

const orderInputSchema = z.object({
  ...orderRequestSchema.shape,
  // As stored: orders accepted before the currency list was checked may carry any code.
  currency: z.string().meta({ description: 'ISO 4217 code the order is priced in.' }),
  orderId: orderIdSchema,
  total: z.int().meta({ description: 'Sum of quantity × unitPrice, minor units.' }),
  policy: policySchema,
  requestId: z.string().optional(),
});

export const orderStateSchema = z
  .object({
    orderId: orderIdSchema,
    status: orderStatusSchema,
    currentStep: orderStepSchema.nullable(),
    order: orderInputSchema,
    transitions: z.array(
      z.object({
        from: orderStatusSchema.nullable(),
        to: orderStatusSchema,
        at: instant,
        reason: z.string(),
        attempt: z.int().optional(),
      }),
    ),
    attempts: z.partialRecord(orderStepSchema, z.int()),
    lastError: z.object({ step: orderStepSchema, type: z.string(), message: z.string(), at: instant }).nullable(),
    compensations: z.array(
      z.object({
        step: orderStepSchema,
        status: z.enum(['completed', 'failed']),
        at: instant,
        error: z.object({ type: z.string(), message: z.string() }).optional(),
      }),
    ),
    fraud: fraudSchema.nullable(),
    approval: z
      .object({
        requestedAt: instant,
        reasons: z.array(z.string()),
        fraud: fraudSchema.optional(),
        escalatedAt: instant.optional(),
        decision: z
          .object({
            decision: z.enum(['approve', 'reject']),
            approver: z.string(),
            comment: z.string().optional(),
            at: instant,
            automatic: z.boolean().optional(),
          })
          .optional(),
      })
      .nullable(),
    reservationId: z.string().nullable(),
    charge: z.object({ chargeId: z.string(), amount: z.int(), currency: z.string() }).nullable(),
    shipment: z.object({ shipmentId: z.string(), trackingNumber: z.string(), carrier: z.string() }).nullable(),
    cancellation: z.object({ reason: z.string(), requestedBy: z.string(), at: instant }).nullable(),
    parked: z
      .object({
        reason: z.string(),
        from: orderStatusSchema,
        at: instant,
        pendingCompensations: z.array(orderStepSchema),
        step: orderStepSchema
          .optional()
          .meta({ description: 'The forward step whose retries ran out; an operator retry runs it again.' }),
      })
      .nullable()
      .meta({ description: 'Set while the order waits in NEEDS_ATTENTION for an operator.' }),
    fallbacks: z
      .array(z.object({ step: orderStepSchema, from: z.string(), to: z.string(), reason: z.string(), at: instant }))
      .optional()
      .meta({
        description: 'Alternative paths taken (backup carrier, rules scorer, a customer mail given up), oldest first.',
      }),
    sla: z
      .object({
        status: orderStatusSchema,
        limit: z.string(),
        enteredAt: instant,
        breachedAt: instant,
        alert: z.object({
          status: z.enum(['pending', 'sent', 'logged', 'failed']),
          alertId: z.string().nullable().optional(),
          error: z.string().optional(),
        }),
      })
      .nullable()
      .optional()
      .meta({
        description: 'Set once the order overstayed INVENTORY_LOCKED and the SLA watchdog raised its one alert.',
      }),
  })
  .meta({ description: "The order workflow's state, as its query answers it." });

// Compile-time guard: the published schema describes the workflow's OrderState exactly.
export const asOrderState = (state: z.output<typeof orderStateSchema>): OrderState => state;

/** The fields of the order state, as `missing` names them in an answer from the records. */
export const ORDER_STATE_FIELDS = Object.keys(orderStateSchema.shape) as (keyof OrderState)[];
const orderStateFieldSchema = z.enum(ORDER_STATE_FIELDS as [keyof OrderState, ...(keyof OrderState)[]]);

/** GET /orders/:id with a worker up: the query's answer, unchanged, marked as such. */
export const orderFromQuerySchema = orderStateSchema
  .extend({
    source: z.literal('query').meta({ description: "Answered live by the workflow's getOrderState query." }),
  })
  .meta({ description: "The order workflow's state, as its query answers it (a worker answered)." });

const recordsReasons: Record<RecordsReason, string> = {
  closed: 'the workflow has completed; its result is its final state, read from its history (no query needed)',
  'no-worker':
    `no worker answered the state query within ${LIVE_QUERY_TIMEOUT_MS} ms ` +
    "(or the API's deadline, if shorter): workers down, deploying or scaled to zero",
  'query-failed': 'a worker took the query but the workflow could not answer it',
};

export const orderRecordsSchema = z
  .object({
    workflowStatus: z.string().meta({ description: 'Temporal execution status, e.g. RUNNING or COMPLETED.' }),
    startedAt: z.string(),
    closedAt: z.string().nullable(),
    taskQueue: z.string().meta({ description: 'The task queue whose workers run the order.' }),
    historyLength: z.int(),
    orderStatus: orderStatusSchema
      .nullable()
      .meta({ description: 'The OrderStatus search attribute: the status as of the last transition recorded.' }),
    customerId: customerIdSchema.nullable(),
    total: z.int().nullable(),
    currency: z.string().nullable(),
    requestId: z.string().nullable().meta({ description: 'From the memo: the request that created the order.' }),
  })
  .meta({ description: "What Temporal's records say of the order's workflow (describe, search attributes, memo)." });

// Compile-time guard: what the gateway reads from Temporal fits the published schema.
export const fromOrderRecords = (records: OrderRecords): z.output<typeof orderRecordsSchema> => records;

/**
 * GET /orders/:id when the query could not be used: Temporal's own records. Every state field
 * the records do not hold is absent and listed in `missing`; for a completed order the final
 * state is all there (`missing` is empty).
 */
export const orderFromRecordsSchema = z
  .object({
    source: z.literal('records').meta({ description: "Read from Temporal's records, not answered by a live query." }),
    ...orderStateSchema.partial().shape,
    orderId: orderIdSchema,
    status: orderStatusSchema.nullable().meta({
      description:
        "The final state's status for a completed order; otherwise the OrderStatus search attribute " +
        '(the status as of the last transition the workflow recorded; null if the order has none).',
    }),
    reason: z.enum(Object.keys(recordsReasons) as [RecordsReason, ...RecordsReason[]]).meta({
      description: `Why the records answered: ${Object.entries(recordsReasons)
        .map(([reason, text]) => `${reason}: ${text}`)
        .join('; ')}.`,
    }),
    detail: z.string().meta({ description: 'The same, in a sentence for people.' }),
    missing: z
      .array(orderStateFieldSchema)
      .meta({ description: 'Order state fields this answer lacks (they need a worker); empty when complete.' }),
    records: orderRecordsSchema,
  })
  .meta({ description: "The order as Temporal's records show it, without a worker." });

export const orderReadSchema = z
  .discriminatedUnion('source', [orderFromQuerySchema, orderFromRecordsSchema])
  .meta({ description: "GET /orders/:id: the live query answer, or Temporal's records; `source` says which." });

export const orderAcceptedSchema = z.object({
  orderId: orderIdSchema,
  status: orderStatusSchema,
  location: z.string().meta({ description: 'Where to read the order, also sent as the Location header.' }),
  requestId: z.string().meta({ description: 'Request id of the request that created the order.' }),
});

export const steeringAcceptedSchema = z
  .object({
    orderId: orderIdSchema,
    accepted: z.literal(true),
    location: z.string(),
    detail: z.string(),
  })
  .meta({ description: 'The order accepted the change but had not settled within the wait; read it again.' });

export const orderSummarySchema = z.object({
  orderId: orderIdSchema,
  status: orderStatusSchema.nullable(),
  customerId: customerIdSchema.nullable(),
  total: z.int().nullable(),
  currency: z.string().nullable(),
  workflowStatus: z.string().meta({ description: 'Temporal execution status, e.g. RUNNING or COMPLETED.' }),
  startedAt: z.string(),
  closedAt: z.string().nullable(),
});

export const orderPageSchema = z.object({
  orders: z.array(orderSummarySchema),
  nextCursor: z.string().nullable().meta({ description: 'Pass as `cursor` for the next page; null on the last page.' }),
});

export const drainReportSchema = z
  .object({
    found: z.int().meta({ description: 'Parked orders listed (by the OrderStatus search attribute).' }),
    retried: z.int(),
    refused: z.int(),
    failed: z.int(),
    orders: z.array(
      z.object({
        orderId: orderIdSchema,
        outcome: z.enum(['retried', 'refused', 'failed']).meta({
          description:
            'retried: the order accepted the retry and runs again; ' +
            'refused: the order turned it down (no longer parked, or closed); ' +
            'failed: Temporal could not be asked, drain again.',
        }),
        detail: z.string().optional(),
      }),
    ),
  })
  .meta({ description: 'What a dead-letter drain did, order by order.' });

// Compile-time guard: the published schema describes what the drain returns.
export const asDrainReport = (report: z.output<typeof drainReportSchema>): DrainReport => report;

export const problemSchema = z
  .object({
    type: z.string().meta({ description: `A stable URI under ${PROBLEM_TYPE_BASE}.` }),
    title: z.string(),
    status: z.int(),
    detail: z.string(),
    instance: z.string().meta({
      description: 'The request path; urn:uuid:<requestId> for a request refused before it had one (not valid HTTP).',
    }),
    requestId: z.string().optional(),
    errors: z.array(z.object({ field: z.string(), message: z.string() })).optional(),
  })
  .meta({ description: 'RFC 9457 problem details.' });

export const healthSchema = z.object({ status: z.string() });
export const readinessSchema = z.object({ status: z.literal('ready'), namespace: z.string() });
