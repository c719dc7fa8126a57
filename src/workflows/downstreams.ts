/**
 * The systems the saga calls, each on one line below: its timeouts and retry policy, and the
 * activity proxy the saga calls it through.
 *
 * Every activity runs on the order's own task queue, so the server hands it to the worker with
 * its reply to the workflow task that scheduled it (eager dispatch) instead of through matching.
 * The bulkheads are in the worker: at most `BULKHEAD_*` calls to one downstream run at once, as
 * many more wait, and the worker has slots for every downstream's share at once, so a downstream
 * that hangs never takes the slots of the others, nor of its own fallback
 * (`src/activities/resilience/bulkheads.ts`).
 *
 * Retry delays: transient failures carry their own `nextRetryDelay` (backoff with jitter, or a
 * 429's Retry-After, computed by the activity: `src/activities/backoff.ts`, longest 60 s). The
 * interval fields apply only to failures without one (the activity's own timeouts, bugs);
 * `maximumInterval` stays above the longest delay the activities may ask for. Every policy
 * heartbeats: that is how a cancellation or a dead worker reaches a call in flight.
 */
import {
  ActivityCancellationType,
  proxyActivities,
  type ActivityInterfaceFor,
  type ActivityOptions,
  type RetryPolicy,
} from '@temporalio/workflow';
import type { OrderActivities } from '../activities';
import { FailureType, NON_RETRYABLE_FAILURES } from './failures';
import { formatMoney } from './order-types';

/** The downstream systems, by the one name each has in code, config (`BULKHEAD_PRIMARY_CARRIER`), metrics and docs. */
export const DOWNSTREAMS = [
  'inventory',
  'payments',
  'primaryCarrier',
  'backupCarrier',
  'fraudModel',
  'fraudRules',
  'notifications',
  'alerts',
] as const;
export type Downstream = (typeof DOWNSTREAMS)[number];

export const MAXIMUM_RETRY_INTERVAL = '2 minutes';

/**
 * `withFallback`: the step has an alternative path, so an open circuit breaker ends its retries
 * at once (CircuitOpen is final) and the saga takes the alternative; elsewhere CircuitOpen is
 * retried with backoff until the breaker half-opens.
 */
function policy(
  startToCloseTimeout: string,
  heartbeatTimeout: string,
  maximumAttempts: number,
  opts: { withFallback?: boolean } = {},
): ActivityOptions {
  const retry: RetryPolicy = {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: MAXIMUM_RETRY_INTERVAL,
    maximumAttempts,
    nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURES, ...(opts.withFallback ? [FailureType.CircuitOpen] : [])],
  };
  // A cancelled step is waited for until the call has really stopped, so its compensation never
  // races a call still in flight.
  return {
    startToCloseTimeout,
    heartbeatTimeout,
    retry,
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  };
}

export const ActivityPolicies = {
  /** Stock locks: fast calls; about 4 minutes of retries when the service is down. */
  inventory: policy('10 seconds', '5 seconds', 10),
  /** Capture is idempotent by key, so a retried timeout cannot charge twice. */
  payments: policy('30 seconds', '10 seconds', 10),
  /** Gives way to the backup carrier when its breaker opens or its retries run out. */
  primaryCarrier: policy('30 seconds', '10 seconds', 10, { withFallback: true }),
  /** The fallback, so no alternative of its own. */
  backupCarrier: policy('30 seconds', '10 seconds', 10),
  /** The model can be slow or unsure: a longer call, fewer retries, then the rules. */
  fraudModel: policy('30 seconds', '10 seconds', 5, { withFallback: true }),
  /** The fallback scorer, so no alternative of its own. */
  fraudRules: policy('10 seconds', '5 seconds', 10),
  /** Customer mail and approver pages: non-critical, a failure never fails or delays the order. */
  notifications: policy('10 seconds', '5 seconds', 5),
  /** SLA alerts: high priority, so more patience than a customer mail. */
  alerts: policy('10 seconds', '5 seconds', 10),
  /** Giving up a primary dispatch before the backup ships: patient enough to outlast a breaker's 30 s. */
  voidShipment: policy('10 seconds', '5 seconds', 8),
  /** Releases and refunds: more patience; still failing after this parks the order for an operator. */
  compensation: policy('30 seconds', '10 seconds', 20),
} satisfies Record<string, ActivityOptions>;

/**
 * What each call does, in one line: the activity's summary (`ActivityOptions.summary`), shown by
 * the Web UI and `temporal workflow show` beside the activity type. Short by design (Temporal
 * keeps a summary to 400 bytes), so no free text from the order goes in.
 */
const ACTIVITY_SUMMARIES: { [A in keyof OrderActivities]: (req: Parameters<OrderActivities[A]>[0]) => string } = {
  reserveInventory: ({ items }) => `Lock the stock: ${items.length} line(s), ${units(items)} unit(s)`,
  releaseInventory: () => 'Undo: release the stock lock',
  commitInventory: () => 'Commit the locked stock (the goods have left)',
  scoreFraud: ({ total, currency }) => `Score fraud risk with the model (${formatMoney(total, currency)})`,
  scoreFraudByRules: () => 'Fallback: score fraud risk with the rules',
  capturePayment: ({ amount, currency }) => `Capture ${formatMoney(amount, currency)}`,
  refundPayment: () => 'Undo: refund the captured payment',
  dispatchShipment: ({ carrier, items }) =>
    carrier === 'backupCarrier'
      ? `Fallback: ship ${units(items)} unit(s) with the backup carrier`
      : `Ship ${units(items)} unit(s) with the primary carrier`,
  voidShipment: ({ carrier }) => `Void the ${carrier} dispatch, so that the order cannot ship twice`,
  notifyCustomer: ({ template }) => `Mail the customer (${template}); never holds up the order`,
  pageApprovers: ({ approvers }) => `Page ${approvers.length} approver(s): no decision yet`,
  raiseSlaAlert: ({ status, limit }) => `SLA alert: ${status} for longer than ${limit}`,
};

const units = (items: readonly { quantity: number }[]) => items.reduce((sum, item) => sum + item.quantity, 0);

type ActivityProxy = ActivityInterfaceFor<OrderActivities>;

/** A proxy whose every call carries its summary (a summary is an option, so one proxy per call). */
function withSummaries(options: ActivityOptions): ActivityProxy {
  return new Proxy({} as ActivityProxy, {
    get(_, name) {
      if (typeof name !== 'string' || !Object.hasOwn(ACTIVITY_SUMMARIES, name)) return undefined;
      const summarize = ACTIVITY_SUMMARIES[name as keyof OrderActivities] as (req: unknown) => string;
      return (req: unknown) => {
        const proxy = proxyActivities<Record<string, (req: unknown) => Promise<unknown>>>({
          ...options,
          summary: summarize(req),
        });
        return proxy[name]!(req);
      };
    },
  });
}

/** One activity proxy per downstream, with its policy. */
export function downstreamProxies() {
  return {
    inventory: withSummaries(ActivityPolicies.inventory),
    payments: withSummaries(ActivityPolicies.payments),
    primaryCarrier: withSummaries(ActivityPolicies.primaryCarrier),
    backupCarrier: withSummaries(ActivityPolicies.backupCarrier),
    fraudModel: withSummaries(ActivityPolicies.fraudModel),
    fraudRules: withSummaries(ActivityPolicies.fraudRules),
    notifications: withSummaries(ActivityPolicies.notifications),
    alerts: withSummaries(ActivityPolicies.alerts),
    /** Undo calls: more patience than the forward call. */
    undo: {
      inventory: withSummaries(ActivityPolicies.compensation),
      payments: withSummaries(ActivityPolicies.compensation),
      primaryCarrier: withSummaries(ActivityPolicies.voidShipment),
    },
  };
}
export type DownstreamProxies = ReturnType<typeof downstreamProxies>;
