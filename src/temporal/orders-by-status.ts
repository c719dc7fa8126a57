/**
 * `orders_by_status{status}`: how many orders are in each status, from Temporal visibility (the
 * `OrderStatus` search attribute, upserted by every order: a status it only passes through once
 * it stayed there for `STATUS_SETTLE`, so those counts are of orders held up). Counted when scraped,
 * at most once per `cacheMs`, so N scrapers (or N worker replicas' scrapers) do not turn into a
 * visibility load; every scrape in between answers the last counts.
 *
 * One count query per status: visibility's GROUP BY only accepts ExecutionStatus (the dev server
 * refuses `GROUP BY OrderStatus`). Open statuses count running orders only: an order that was
 * terminated while parked keeps its last `OrderStatus` but holds no one's attention any more.
 * Final statuses count every order visibility still retains.
 */
import type { Client } from '@temporalio/client';
import { Counter, Gauge, type Registry } from 'prom-client';
import { ORDER_WORKFLOW_TYPE, OrderStatusKey } from '../workflows/definitions';
import { OrderStatus, isTerminal } from '../workflows/order-status';

/** Counts the workflows matching a visibility query. */
export type CountWorkflows = (query: string) => Promise<number>;

export interface OrdersByStatusOptions {
  count: CountWorkflows;
  /** Counts are reused for this long (at least 15 s). */
  cacheMs?: number;
  /** A refresh that takes longer fails (the last counts stay). */
  timeoutMs?: number;
  onError?: (err: unknown) => void;
  now?: () => number;
}

export const ORDERS_BY_STATUS_CACHE_MS = 15_000;
export const ORDERS_BY_STATUS_TIMEOUT_MS = 5_000;

export function ordersInStatusQuery(status: OrderStatus): string {
  const query = `WorkflowType = '${ORDER_WORKFLOW_TYPE}' AND ${OrderStatusKey.name} = '${status}'`;
  return isTerminal(status) ? query : `${query} AND ExecutionStatus = 'Running'`;
}

/** A `CountWorkflows` over a Temporal client, each call under a deadline. */
export function visibilityCount(client: Client, timeoutMs = ORDERS_BY_STATUS_TIMEOUT_MS): CountWorkflows {
  return (query) =>
    client.withDeadline(Date.now() + timeoutMs, () => client.workflow.count(query)).then((r) => r.count);
}

function withTimeout<T>(promise: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  const timeout = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new Error(`visibility counts took longer than ${ms} ms`)), ms);
  });
  return Promise.race([promise, timeout]).finally(() => clearTimeout(timer));
}

/** Registers `orders_by_status` and `orders_by_status_errors_total` on `registry`. */
export function createOrdersByStatusMetrics(registry: Registry, options: OrdersByStatusOptions): void {
  const cacheMs = Math.max(options.cacheMs ?? ORDERS_BY_STATUS_CACHE_MS, ORDERS_BY_STATUS_CACHE_MS);
  const timeoutMs = options.timeoutMs ?? ORDERS_BY_STATUS_TIMEOUT_MS;
  const now = options.now ?? Date.now;
  const statuses = Object.values(OrderStatus);
  let lastAttempt = -Infinity;
  let inFlight: Promise<void> | undefined;

  // Both metrics wait for the same refresh, so a failure is counted in the scrape that saw it.
  function ensureFresh(): Promise<void> | undefined {
    // A failed refresh waits out the cache period too: a sick visibility store gets no retry storm.
    if (now() - lastAttempt < cacheMs) return inFlight;
    lastAttempt = now();
    inFlight = refresh().finally(() => (inFlight = undefined));
    return inFlight;
  }
  const errors = new Counter({
    name: 'orders_by_status_errors_total',
    help: 'Refreshes of orders_by_status that failed or timed out (the gauge kept its last values).',
    registers: [registry],
    collect: ensureFresh,
  });
  const gauge = new Gauge({
    name: 'orders_by_status',
    help: `Orders per OrderStatus from Temporal visibility (open statuses: running orders only), refreshed at most every ${cacheMs / 1000} s.`,
    labelNames: ['status'] as const,
    registers: [registry],
    collect: ensureFresh,
  });

  async function refresh(): Promise<void> {
    try {
      const counts = await withTimeout(
        Promise.all(statuses.map((status) => options.count(ordersInStatusQuery(status)))),
        timeoutMs,
      );
      // All or nothing: a partial update would mix counts from different moments.
      statuses.forEach((status, i) => gauge.set({ status }, counts[i]!));
    } catch (err) {
      errors.inc();
      options.onError?.(err);
    }
  }
}
