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
import { FailureType } from '../workflows/failures';
import type { Carrier, OrderItem, ShippingAddress, SlaAlertRequest } from '../workflows/order-types';
import type { OrderStep } from '../workflows/definitions';
import { DEFAULT_BACKOFF, type BackoffSettings } from './backoff';
import { toApplicationFailure } from './failures';
import type {
  AlertsPort,
  CallOptions,
  Charge,
  CompensationResult,
  DownstreamPorts,
  FraudAssessment,
  Reservation,
  Shipment,
} from './ports';

/** Minimal structured logger (pino's `(object, message)` signature). */
export interface ActivityLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  error(obj: object, msg: string): void;
}

export interface ActivityDeps {
  ports: DownstreamPorts;
  /** Retry delays for transient failures; defaults to DEFAULT_BACKOFF. */
  backoff?: BackoffSettings;
  logger?: ActivityLogger;
  /** Source of jitter, in [0, 1); tests pass a fixed one. */
  random?: () => number;
  /** Where SLA alerts are posted; without one, the error-level log line is the only alert. */
  alerts?: AlertsPort;
  /** Base URL of the Temporal Web UI, for the links in alerts. */
  webUiUrl?: string;
}

/** Every activity reports the attempt that produced its result, for the order's query. */
export type Attempted<T> = T & { attempt: number };

type Lines = Pick<OrderItem, 'sku' | 'quantity'>[];

const silent: ActivityLogger = { info: () => undefined, warn: () => undefined, error: () => undefined };

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
  async function call<T extends object>(
    step: OrderStep,
    fn: (opts: CallOptions, key: (s: OrderStep) => string) => Promise<T>,
  ): Promise<Attempted<T>> {
    const ctx = Context.current();
    const workflowId = ctx.info.workflowExecution?.workflowId;
    // The key is derived from the workflow id: without one there is no safe key to send.
    if (!workflowId)
      throw ApplicationFailure.nonRetryable(
        `${step} must run as part of an order workflow`,
        FailureType.InvalidRequest,
      );
    const { attempt } = ctx.info;
    const key = (s: OrderStep) => stepKey(workflowId, s);
    // Heartbeats carry cancellation to us, and tell Temporal a slow call is still alive. The
    // first one is due a third of the heartbeat timeout in: most calls have answered by then,
    // and a heartbeat is a write on the server (one per step, were it sent at once).
    const every = ctx.info.heartbeatTimeoutMs ? Math.max(100, Math.floor(ctx.info.heartbeatTimeoutMs / 3)) : 0;
    const ticker = every > 0 ? setInterval(() => ctx.heartbeat({ step, attempt }), every) : undefined;
    try {
      const result = await fn({ idempotencyKey: key(step), signal: ctx.cancellationSignal }, key);
      return { ...result, attempt };
    } catch (err) {
      // Cancelled: let the SDK report the cancellation rather than a downstream failure.
      if (ctx.cancellationSignal.aborted) throw err;
      const failure = toApplicationFailure(err, attempt, backoff, random);
      logger.warn(
        {
          workflowId,
          step,
          attempt,
          err: err instanceof Error ? err.message : String(err),
          failure: failureSummary(failure),
        },
        'downstream call failed',
      );
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
      return call('releaseInventory', (opts, key) =>
        ports.inventory.release({ orderId: req.orderId, reservationKey: key('reserveInventory') }, opts),
      );
    },
    async commitInventory(req: { orderId: string }): Promise<Attempted<Reservation>> {
      return call('commitInventory', (opts, key) =>
        ports.inventory.commit({ orderId: req.orderId, reservationKey: key('reserveInventory') }, opts),
      );
    },
    /** The model scorer; the rules scorer below is its fallback. */
    async scoreFraud(req: FraudRequest): Promise<Attempted<FraudAssessment>> {
      return call('scoreFraud', (opts) => ports.fraudModel.score(req, opts));
    },
    /** The deterministic rules scorer: taken when the model's breaker is open or its retries ran out. */
    async scoreFraudByRules(req: FraudRequest): Promise<Attempted<FraudAssessment>> {
      return call('scoreFraudByRules', (opts) => ports.fraudRules.score(req, opts));
    },
    async capturePayment(req: {
      orderId: string;
      customerId: string;
      amount: number;
      currency: string;
    }): Promise<Attempted<Charge>> {
      return call('capturePayment', (opts) => ports.payments.capture(req, opts));
    },
    /** Compensation of capturePayment, addressed by its key: a no-op when nothing was captured. */
    async refundPayment(req: { orderId: string }): Promise<Attempted<CompensationResult>> {
      return call('refundPayment', (opts, key) =>
        ports.payments.refund({ orderId: req.orderId, captureKey: key('capturePayment') }, opts),
      );
    },
    /** Ships with `carrier`; orders started before the backup carrier existed name none (the primary). */
    async dispatchShipment(req: {
      orderId: string;
      address: ShippingAddress;
      items: Lines;
      carrier?: Carrier;
    }): Promise<Attempted<Shipment>> {
      const carrier = ports[req.carrier ?? 'primaryCarrier'];
      return call('dispatchShipment', (opts) =>
        carrier.dispatch({ orderId: req.orderId, address: req.address, items: req.items }, opts),
      );
    },
    /**
     * Before shipping with the other carrier: gives up this carrier's dispatch under the
     * dispatch key (cancels it if it landed, refuses it if it arrives late), so the order
     * cannot ship twice.
     */
    async voidShipment(req: { orderId: string; carrier: Carrier }): Promise<Attempted<CompensationResult>> {
      return call('voidShipment', (opts, key) =>
        ports[req.carrier].voidShipment({ orderId: req.orderId, shipmentKey: key('dispatchShipment') }, opts),
      );
    },
    async notifyCustomer(req: {
      orderId: string;
      customerId: string;
      email: string;
      template: string;
      data: Record<string, unknown>;
    }): Promise<Attempted<{ notificationId: string }>> {
      return call('notifyCustomer', (opts) => ports.notifications.send({ ...req, channel: 'email' }, opts));
    },
    /** Escalation of an approval nobody decided: one page (its key makes a retry a no-op) with the full context. */
    async pageApprovers(req: {
      orderId: string;
      customerId: string;
      email: string;
      approvers: string[];
      context: Record<string, unknown>;
    }): Promise<Attempted<{ notificationId: string }>> {
      return call('pageApprovers', (opts) =>
        ports.notifications.send(
          {
            orderId: req.orderId,
            customerId: req.customerId,
            email: req.email,
            template: 'approval-escalation',
            channel: 'page',
            data: { approvers: req.approvers, ...req.context },
          },
          opts,
        ),
      );
    },
    /**
     * The SLA watchdog's one high-priority alert: logged at error level and posted to the alert
     * webhook with the full context, including where to look (Web UI, CLI). Its key makes a
     * retried post a repeat of the same alert.
     */
    async raiseSlaAlert(req: SlaAlertRequest): Promise<Attempted<{ alertId: string | null; delivered: boolean }>> {
      return call('raiseSlaAlert', async (opts) => {
        const { workflowNamespace, workflowExecution } = Context.current().info;
        const namespace = workflowNamespace ?? 'default';
        const workflowId = workflowExecution?.workflowId ?? req.orderId;
        const webUiBase = (deps.webUiUrl ?? 'http://localhost:8233').replace(/\/+$/, '');
        const workflowPath = `/namespaces/${encodeURIComponent(namespace)}/workflows/${encodeURIComponent(workflowId)}`;
        const webUi = `${webUiBase}${workflowPath}`;
        const cli = `temporal workflow describe --namespace ${namespace} --workflow-id ${workflowId}`;
        const seconds = Math.round(req.timeInStateMs / 1000);
        const summary = `order ${req.orderId} has been ${req.status} for ${seconds} s (SLA ${req.limit})`;
        // The step still retrying has not failed for the workflow yet: its latest attempt's error
        // is the freshest one.
        const lastError = (await latestAttemptFailure(workflowId)) ?? req.lastError;
        const context = { ...req, lastError, workflowId, namespace, links: { webUi, cli } };
        logger.error({ alert: 'sla-breach', severity: 'high', ...context }, `SLA breached: ${summary}`);
        if (!deps.alerts) return { alertId: null, delivered: false };
        const { alertId } = await deps.alerts.raise(
          { orderId: req.orderId, customerId: req.customerId, severity: 'high', summary, context },
          opts,
        );
        return { alertId, delivered: true };
      });
    },
  };
}

type FraudRequest = Parameters<DownstreamPorts['fraudModel']['score']>[0];

/**
 * The last failure of an activity of this order still retrying (from `describe`), or null when
 * none is, or Temporal cannot say: the alert then carries the workflow's own last error.
 */
async function latestAttemptFailure(workflowId: string): Promise<SlaAlertRequest['lastError']> {
  try {
    const { raw } = await Context.current().client.workflow.getHandle(workflowId).describe();
    const pending = raw.pendingActivities?.find((a) => a.lastFailure && a.activityType?.name !== 'raiseSlaAlert');
    if (!pending?.lastFailure) return null;
    const at = pending.lastAttemptCompleteTime?.seconds;
    return {
      step: pending.activityType?.name ?? 'unknown',
      type: pending.lastFailure.applicationFailureInfo?.type ?? 'Error',
      message: pending.lastFailure.message ?? '',
      at: at ? new Date(Number(at) * 1000).toISOString() : new Date().toISOString(),
      attempt: pending.attempt ?? undefined,
    };
  } catch {
    return null;
  }
}

/** The activities as the workflow sees them (`proxyActivities<OrderActivities>`). */
export type OrderActivities = ReturnType<typeof createActivities>;

function failureSummary(failure: unknown): Record<string, unknown> | undefined {
  if (typeof failure !== 'object' || failure === null || !('type' in failure)) return undefined;
  const f = failure as { type?: unknown; nonRetryable?: unknown; nextRetryDelay?: unknown };
  return { type: f.type, nonRetryable: f.nonRetryable, nextRetryDelayMs: f.nextRetryDelay };
}
