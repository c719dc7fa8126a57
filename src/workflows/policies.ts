/**
 * Timeouts and retry policies, one per downstream, declared once. The saga creates one activity
 * proxy per entry (`order-fulfillment.ts`), so each step names the policy it runs under.
 *
 * Retry delays: transient failures carry their own `nextRetryDelay` (backoff with jitter, or a
 * 429's Retry-After, computed by the activity: `src/activities/backoff.ts`, longest 60 s). The
 * interval fields below apply only to failures without one (the activity's own timeouts, bugs);
 * `maximumInterval` stays above the longest delay the activities may ask for.
 * Every policy heartbeats: that is how a cancellation or a dead worker reaches a call in flight.
 */
import { ActivityCancellationType, type ActivityOptions, type RetryPolicy } from '@temporalio/workflow';
import { FailureType, NON_RETRYABLE_FAILURES } from './failure-types';

export const MAXIMUM_RETRY_INTERVAL = '2 minutes';

function retry(maximumAttempts: number, finalTypes: readonly string[]): RetryPolicy {
  return {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: MAXIMUM_RETRY_INTERVAL,
    maximumAttempts,
    nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURES, ...finalTypes],
  };
}

/**
 * `withFallback`: the step has an alternative path, so an open circuit breaker ends its
 * retries at once (CircuitOpen is final) and the saga takes the alternative; elsewhere
 * CircuitOpen is retried with backoff until the breaker half-opens.
 */
function policy(startToCloseTimeout: string, heartbeatTimeout: string, maximumAttempts: number, opts: { withFallback?: boolean } = {}): ActivityOptions {
  return {
    startToCloseTimeout,
    heartbeatTimeout,
    retry: retry(maximumAttempts, opts.withFallback ? [FailureType.CircuitOpen] : []),
    // A cancelled step is waited for until the call has really stopped, so its compensation
    // never races a call still in flight.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  };
}

export const ActivityPolicies = {
  /** Stock locks: fast calls; about 4 minutes of retries when the service is down. */
  inventory: policy('10 seconds', '5 seconds', 10),
  /** The model scorer can be slow or unsure: a longer call, fewer retries, then the rules scorer. */
  fraudModel: policy('30 seconds', '10 seconds', 5, { withFallback: true }),
  /** The rules scorer: the fallback, so no alternative of its own. */
  fraudRules: policy('10 seconds', '5 seconds', 10),
  /** Capture is idempotent by key, so a retried timeout cannot charge twice. */
  payments: policy('30 seconds', '10 seconds', 10),
  /** The primary carrier gives way to the backup carrier; the backup has no alternative. */
  primaryCarrier: policy('30 seconds', '10 seconds', 10, { withFallback: true }),
  backupCarrier: policy('30 seconds', '10 seconds', 10),
  /** Giving up a primary dispatch before the backup ships: patient enough to outlast a breaker's 30 s. */
  carrierVoid: policy('10 seconds', '5 seconds', 8),
  /** Customer mail and approver pages: non-critical, a failure never fails or delays the order. */
  notifications: policy('10 seconds', '5 seconds', 5),
  /** SLA alerts: high priority, so more patience than a customer mail. */
  alerts: policy('10 seconds', '5 seconds', 10),
  /** Releases and refunds: more patience; still failing after this parks the order for an operator. */
  compensation: policy('30 seconds', '10 seconds', 20),
} satisfies Record<string, ActivityOptions>;
