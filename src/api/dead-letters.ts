/**
 * The dead-letter queue of orders: every order parked in NEEDS_ATTENTION, found through the
 * `OrderStatus` search attribute (also listable with `GET /orders?status=NEEDS_ATTENTION`).
 *
 *   POST /admin/dead-letters/drain   operator   retry every parked order, one report line per order
 *
 * Draining sends each parked order the same `retryParkedOrder` update as `POST /orders/:id/retry`
 * and waits only for the order to accept it, not for it to settle: a drain of many orders
 * answers promptly, and each order's outcome is read from the order afterwards.
 *   retried  the order accepted the retry and is running again
 *   refused  the order turned it down (no longer parked: visibility lags behind the order) or is closed
 *   failed   Temporal could not be asked (timeout, unavailable); drain again later
 */
import type { Express, Request, Response } from 'express';
import { WorkflowUpdateFailedError } from '@temporalio/client';
import { WorkflowNotFoundError } from '@temporalio/common';
import { OrderStatus } from '../workflows/order-status';
import type { RetryRequest } from '../workflows/definitions';
import { principalOf } from './auth';
import type { RouteContext } from './context';
import type { OrdersGateway } from './orders-gateway';
import { jsonBody, requireJson, validBody } from './request-body';
import { drainRequestSchema, type DrainReport, type DrainResult } from './schemas';
import { ordersQuery } from './visibility-query';

/** Orders retried at the same time: enough to drain quickly, few enough not to flood Temporal. */
const DRAIN_CONCURRENCY = 4;
const PAGE_SIZE = 100;

export type DeadLetterGateway = Pick<OrdersGateway, 'listOrders' | 'retryParkedOrder'>;

/** Ids of parked orders, oldest-listed first, at most `limit`. */
async function parkedOrders(gateway: DeadLetterGateway, limit: number): Promise<string[]> {
  const query = ordersQuery({ status: OrderStatus.NEEDS_ATTENTION });
  const ids: string[] = [];
  let token: Buffer | undefined;
  do {
    const page = await gateway.listOrders(query, Math.min(PAGE_SIZE, limit - ids.length), token);
    ids.push(...page.orders.map((order) => order.orderId));
    token = page.nextPageToken ?? undefined;
  } while (token && ids.length < limit);
  return [...new Set(ids)].slice(0, limit);
}

async function retryOne(gateway: DeadLetterGateway, orderId: string, request: RetryRequest): Promise<DrainResult> {
  try {
    await gateway.retryParkedOrder(orderId, request);
    return { orderId, outcome: 'retried' };
  } catch (err) {
    if (err instanceof WorkflowUpdateFailedError)
      return { orderId, outcome: 'refused', detail: err.cause?.message ?? err.message };
    if (err instanceof WorkflowNotFoundError) return { orderId, outcome: 'refused', detail: 'the order is closed' };
    return { orderId, outcome: 'failed', detail: err instanceof Error ? err.message : String(err) };
  }
}

export async function drainDeadLetters(
  gateway: DeadLetterGateway,
  request: RetryRequest,
  limit: number,
): Promise<DrainReport> {
  const ids = await parkedOrders(gateway, limit);
  const orders: DrainResult[] = [];
  for (let i = 0; i < ids.length; i += DRAIN_CONCURRENCY) {
    orders.push(
      ...(await Promise.all(ids.slice(i, i + DRAIN_CONCURRENCY).map((id) => retryOne(gateway, id, request)))),
    );
  }
  const count = (outcome: DrainResult['outcome']) => orders.filter((o) => o.outcome === outcome).length;
  return { found: ids.length, retried: count('retried'), refused: count('refused'), failed: count('failed'), orders };
}

export function registerDeadLetters(app: Express, ctx: RouteContext): void {
  const { config, gateway, requireRole, rateLimits } = ctx;
  app.post(
    '/admin/dead-letters/drain',
    requireRole('operator'),
    rateLimits.steering,
    requireJson,
    jsonBody(config.API_BODY_LIMIT_BYTES),
    async (req: Request, res: Response) => {
      const { reason, limit } = validBody(drainRequestSchema, req.body);
      const operator = principalOf(res).identity;
      const report = await drainDeadLetters(gateway, { operator, reason: reason ?? 'dead-letter drain' }, limit);
      req.log.info(
        { operator, found: report.found, retried: report.retried, refused: report.refused, failed: report.failed },
        'dead letters drained',
      );
      res.json(report);
    },
  );
}
