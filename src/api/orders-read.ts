/**
 * Reading orders: one order's full state from the workflow's query — or, when no worker can
 * answer it, from Temporal's own records — and listings from Temporal visibility filtered by
 * the order search attributes.
 */
import type { Express, Request, Response } from 'express';
import type { z } from 'zod';
import type { OrderState } from '../workflows/definitions';
import { READ_ROLES } from './auth';
import type { RouteContext } from './context';
import type { OrderReading } from './orders-gateway';
import { Problem } from './problem';
import { ORDER_STATE_FIELDS, type orderReadSchema } from './response-schemas';
import { fieldErrors, listOrdersQuerySchema, orderIdParam } from './schemas';
import { GRPC_INVALID_ARGUMENT } from '../temporal/connection';
import { grpcCode } from './temporal-errors';
import { decodeCursor, encodeCursor, ordersQuery } from './visibility-query';

export function registerOrderReading(app: Express, ctx: RouteContext): void {
  const { gateway, requireRole, config, rateLimits } = ctx;
  const cursorSecret = config.API_CURSOR_SECRET;

  app.get('/orders/:id', requireRole(...READ_ROLES), rateLimits.reads, async (req: Request, res: Response) => {
    const orderId = orderIdParam(req);
    res.locals.orderId = orderId;
    const reading = await gateway.readOrder(orderId);
    if (reading.source === 'records' && reading.reason !== 'closed') {
      req.log.warn(
        { err: reading.queryError, orderId, reason: reading.reason },
        "order state query unanswered; answering from Temporal's records",
      );
    }
    res.json(orderBody(orderId, reading, gateway.liveQueryTimeoutMs));
  });

  app.get('/orders', requireRole(...READ_ROLES), rateLimits.reads, async (req: Request, res: Response) => {
    const parsed = listOrdersQuerySchema.safeParse(req.query);
    if (!parsed.success)
      throw new Problem('invalid-request', 'Invalid query parameters; see errors.', {
        errors: fieldErrors(parsed.error, '(query)'),
      });
    const { status, customerId, pageSize, cursor } = parsed.data;
    const query = ordersQuery({ status, customerId });
    const pageToken = cursor === undefined ? undefined : decodeCursor(cursorSecret, query, cursor);
    try {
      const page = await gateway.listOrders(query, pageSize, pageToken);
      res.json({
        orders: page.orders,
        nextCursor: page.nextPageToken ? encodeCursor(cursorSecret, query, page.nextPageToken) : null,
      });
    } catch (err) {
      // The MAC has already refused every cursor we did not issue, so this is a token Temporal
      // itself issued and no longer accepts (e.g. expired). INVALID_ARGUMENT is not retried (neither
      // the SDK's gRPC retry interceptor nor `within` retries it), so this answers at once.
      if (pageToken && grpcCode(err) === GRPC_INVALID_ARGUMENT) {
        throw new Problem('invalid-request', 'The cursor is no longer valid; start again from the first page.', {
          errors: [{ field: 'cursor', message: 'rejected by the order store' }],
        });
      }
      throw err;
    }
  });
}

/**
 * The body of GET /orders/:id. From the query: its answer unchanged, plus `source`. From the
 * records: whatever state they hold (all of it for a completed order), the status, what is
 * missing and why, and the records themselves.
 */
function orderBody(
  orderId: string,
  reading: OrderReading,
  liveQueryTimeoutMs: number,
): z.output<typeof orderReadSchema> {
  if (reading.source === 'query') return { source: 'query', ...reading.state };
  const { reason, records, finalState } = reading;
  const status = finalState?.status ?? records.orderStatus;
  const present = (field: keyof OrderState) =>
    field === 'orderId' || (field === 'status' ? status !== null : finalState?.[field] !== undefined);
  return {
    source: 'records',
    ...finalState,
    orderId,
    status,
    reason,
    detail: recordsDetail(reading, liveQueryTimeoutMs),
    missing: ORDER_STATE_FIELDS.filter((field) => !present(field)),
    records,
  };
}

function recordsDetail(reading: Extract<OrderReading, { source: 'records' }>, liveQueryTimeoutMs: number): string {
  const { reason, records, finalState } = reading;
  if (reason === 'closed' && finalState)
    return (
      "The order's workflow has completed: this is the final state it returned, " +
      "read from Temporal's records (no worker needed)."
    );
  const why =
    reason === 'closed'
      ? "The order's workflow has completed but its result is not an order state"
      : reason === 'no-worker'
        ? `No worker answered the order's state query within ${liveQueryTimeoutMs} ms`
        : "The order's workflow could not answer its state query";
  return (
    `${why}, so this comes from Temporal's records, not a live query: \`status\` is the OrderStatus search ` +
    'attribute (the status as of the last transition the workflow recorded) and the fields in `missing` need ' +
    `a worker on task queue "${records.taskQueue}".`
  );
}
