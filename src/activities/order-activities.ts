/**
 * The saga's activities: thin adapters from a workflow step to one downstream port. Each one
 *  - derives its idempotency key from the workflow id and the step (`${workflowId}:${step}`),
 *    so every retry, and every replay after a worker restart, sends the same key;
 *  - passes the activity's cancellation signal to the port and heartbeats while it waits,
 *    which is how a cancellation (or a dead worker) reaches a call in flight;
 *  - maps the port's typed errors to Temporal failures (`./failures`). No retry loops here:
 *    Temporal retries, with the delay this activity computed.
 */
import { Context } from '@temporalio/activity';
import { ApplicationFailure } from '@temporalio/common';
import { FailureType } from '../workflows/failure-types';
import type { OrderItem, ShippingAddress } from '../workflows/order-types';
import type { OrderStep } from '../workflows/definitions';
import { DEFAULT_BACKOFF, type BackoffSettings } from './backoff';
import { toApplicationFailure } from './failures';
import type { CallOptions, Charge, CompensationResult, DownstreamPorts, FraudAssessment, Reservation, Shipment } from './ports';

/** Minimal structured logger (pino's `(object, message)` signature). */
export interface ActivityLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
}

export interface ActivityDeps {
  ports: DownstreamPorts;
  /** Retry delays for transient failures; defaults to DEFAULT_BACKOFF. */
  backoff?: BackoffSettings;
  logger?: ActivityLogger;
  /** Source of jitter, in [0, 1); tests pass a fixed one. */
  random?: () => number;
}

/** Every activity reports the attempt that produced its result, for the order's query. */
export type Attempted<T> = T & { attempt: number };

type Lines = Pick<OrderItem, 'sku' | 'quantity'>[];

const silent: ActivityLogger = { info: () => undefined, warn: () => undefined };

/** Idempotency key of a step of the current workflow: deterministic, never random. */
export function stepKey(workflowId: string, step: OrderStep): string {
  return `${workflowId}:${step}`;
}

export function createActivities(deps: ActivityDeps) {
  const { ports } = deps;
  const backoff = deps.backoff ?? DEFAULT_BACKOFF;
  const logger = deps.logger ?? silent;
  const random = deps.random ?? Math.random;

  /** Runs one port call for `step` with its key, the cancellation signal and heartbeats. */
  async function call<T extends object>(step: OrderStep, fn: (opts: CallOptions, key: (s: OrderStep) => string) => Promise<T>): Promise<Attempted<T>> {
    const ctx = Context.current();
    const workflowId = ctx.info.workflowExecution?.workflowId;
    // The key is derived from the workflow id: without one there is no safe key to send.
    if (!workflowId) throw ApplicationFailure.nonRetryable(`${step} must run as part of an order workflow`, FailureType.InvalidRequest);
    const { attempt } = ctx.info;
    const key = (s: OrderStep) => stepKey(workflowId, s);
    // Heartbeats carry cancellation to us; the SDK throttles them, so ticking often is cheap.
    const every = ctx.info.heartbeatTimeoutMs ? Math.max(100, Math.floor(ctx.info.heartbeatTimeoutMs / 3)) : 0;
    const ticker = every > 0 ? setInterval(() => ctx.heartbeat({ step, attempt }), every) : undefined;
    try {
      if (every > 0) ctx.heartbeat({ step, attempt });
      const result = await fn({ idempotencyKey: key(step), signal: ctx.cancellationSignal }, key);
      return { ...result, attempt };
    } catch (err) {
      // Cancelled: let the SDK report the cancellation rather than a downstream failure.
      if (ctx.cancellationSignal.aborted) throw err;
      const failure = toApplicationFailure(err, attempt, backoff, random);
      logger.warn({ workflowId, step, attempt, err: err instanceof Error ? err.message : String(err), failure: failureSummary(failure) }, 'downstream call failed');
      throw failure;
    } finally {
      clearInterval(ticker);
    }
  }

  return {
    async reserveInventory(req: { orderId: string; items: Lines }): Promise<Attempted<Reservation>> {
      return call('reserveInventory', (opts) => ports.inventory.reserve(req, opts));
    },
    /** Compensation of reserveInventory, addressed by its key: a no-op when nothing was reserved. */
    async releaseInventory(req: { orderId: string }): Promise<Attempted<CompensationResult>> {
      return call('releaseInventory', (opts, key) => ports.inventory.release({ orderId: req.orderId, reservationKey: key('reserveInventory') }, opts));
    },
    async commitInventory(req: { orderId: string }): Promise<Attempted<Reservation>> {
      return call('commitInventory', (opts, key) => ports.inventory.commit({ orderId: req.orderId, reservationKey: key('reserveInventory') }, opts));
    },
    /** The model scorer; the rules scorer is the fallback of the resilience layer. */
    async scoreFraud(req: Parameters<DownstreamPorts['fraud']['model']['score']>[0]): Promise<Attempted<FraudAssessment>> {
      return call('scoreFraud', (opts) => ports.fraud.model.score(req, opts));
    },
    async capturePayment(req: { orderId: string; customerId: string; amount: number; currency: string }): Promise<Attempted<Charge>> {
      return call('capturePayment', (opts) => ports.payments.capture(req, opts));
    },
    /** Compensation of capturePayment, addressed by its key: a no-op when nothing was captured. */
    async refundPayment(req: { orderId: string }): Promise<Attempted<CompensationResult>> {
      return call('refundPayment', (opts, key) => ports.payments.refund({ orderId: req.orderId, captureKey: key('capturePayment') }, opts));
    },
    async dispatchShipment(req: { orderId: string; address: ShippingAddress; items: Lines; carrier?: 'primary' | 'backup' }): Promise<Attempted<Shipment>> {
      const carrier = ports.carriers[req.carrier ?? 'primary'];
      return call('dispatchShipment', (opts) => carrier.dispatch({ orderId: req.orderId, address: req.address, items: req.items }, opts));
    },
    async notifyCustomer(req: { orderId: string; customerId: string; email: string; template: string; data: Record<string, unknown> }): Promise<Attempted<{ notificationId: string }>> {
      return call('notifyCustomer', (opts) => ports.notifications.send({ ...req, channel: 'email' }, opts));
    },
    /** Escalation of an approval nobody decided: one page (its key makes a retry a no-op) with the full context. */
    async pageApprovers(req: { orderId: string; customerId: string; email: string; approvers: string[]; context: Record<string, unknown> }): Promise<Attempted<{ notificationId: string }>> {
      return call('pageApprovers', (opts) =>
        ports.notifications.send(
          { orderId: req.orderId, customerId: req.customerId, email: req.email, template: 'approval-escalation', channel: 'page', data: { approvers: req.approvers, ...req.context } },
          opts,
        ),
      );
    },
  };
}

/** The activities as the workflow sees them (`proxyActivities<OrderActivities>`). */
export type OrderActivities = ReturnType<typeof createActivities>;

function failureSummary(failure: unknown): Record<string, unknown> | undefined {
  if (typeof failure !== 'object' || failure === null || !('type' in failure)) return undefined;
  const f = failure as { type?: unknown; nonRetryable?: unknown; nextRetryDelay?: unknown };
  return { type: f.type, nonRetryable: f.nonRetryable, nextRetryDelayMs: f.nextRetryDelay };
}
