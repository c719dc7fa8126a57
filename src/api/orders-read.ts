/**
 * Reading orders: one order's full state from the workflow's query, and listings from
 * Temporal visibility filtered by the order search attributes.
 */
import type { Express, Request, Response } from 'express';
import { READ_ROLES } from './auth';
import type { RouteContext } from './context';
import { Problem } from './problem';
import { fieldErrors, listOrdersQuerySchema, orderIdParam } from './schemas';
import { GRPC_INVALID_ARGUMENT, grpcCode } from './temporal-errors';
import { decodeCursor, encodeCursor, ordersQuery } from './visibility-query';

export function registerOrderReading(app: Express, ctx: RouteContext): void {
  const { gateway, requireRole } = ctx;

  app.get('/orders/:id', requireRole(...READ_ROLES), async (req: Request, res: Response) => {
    const orderId = orderIdParam(req);
    res.locals.orderId = orderId;
    res.json(await gateway.orderState(orderId));
  });

  app.get('/orders', requireRole(...READ_ROLES), async (req: Request, res: Response) => {
    const parsed = listOrdersQuerySchema.safeParse(req.query);
    if (!parsed.success)
      throw new Problem('invalid-request', 'Invalid query parameters; see errors.', {
        errors: fieldErrors(parsed.error, '(query)'),
      });
    const { status, customerId, pageSize, cursor } = parsed.data;
    const query = ordersQuery({ status, customerId });
    const pageToken = cursor === undefined ? undefined : decodeCursor(query, cursor);
    try {
      const page = await gateway.listOrders(query, pageSize, pageToken);
      res.json({
        orders: page.orders,
        nextCursor: page.nextPageToken ? encodeCursor(query, page.nextPageToken) : null,
      });
    } catch (err) {
      // A cursor we issued always parses; one Temporal rejects was tampered with or expired.
      if (pageToken && grpcCode(err) === GRPC_INVALID_ARGUMENT) {
        throw new Problem('invalid-request', 'The cursor is no longer valid; start again from the first page.', {
          errors: [{ field: 'cursor', message: 'rejected by the order store' }],
        });
      }
      throw err;
    }
  });
}
