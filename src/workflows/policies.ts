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
import { NON_RETRYABLE_FAILURES } from './failure-types';

export const MAXIMUM_RETRY_INTERVAL = '2 minutes';

function retry(maximumAttempts: number): RetryPolicy {
  return {
    initialInterval: '1 second',
    backoffCoefficient: 2,
    maximumInterval: MAXIMUM_RETRY_INTERVAL,
    maximumAttempts,
    nonRetryableErrorTypes: [...NON_RETRYABLE_FAILURES],
  };
}

function policy(startToCloseTimeout: string, heartbeatTimeout: string, maximumAttempts: number): ActivityOptions {
  return {
    startToCloseTimeout,
    heartbeatTimeout,
    retry: retry(maximumAttempts),
    // A cancelled step is waited for until the call has really stopped, so its compensation
    // never races a call still in flight.
    cancellationType: ActivityCancellationType.WAIT_CANCELLATION_COMPLETED,
  };
}

export const ActivityPolicies = {
  /** Stock locks: fast calls; about 4 minutes of retries when the service is down. */
  inventory: policy('10 seconds', '5 seconds', 10),
  /** The model scorer can be slow or unsure: a longer call, fewer retries. */
  fraud: policy('30 seconds', '10 seconds', 5),
  /** Capture is idempotent by key, so a retried timeout cannot charge twice. */
  payments: policy('30 seconds', '10 seconds', 10),
  shipping: policy('30 seconds', '10 seconds', 10),
  /** Customer mail and approver pages: non-critical, a failure never fails the order. */
  notifications: policy('10 seconds', '5 seconds', 5),
  /** Releases and refunds: more patience; still failing after this parks the order for an operator. */
  compensation: policy('30 seconds', '10 seconds', 20),
} satisfies Record<string, ActivityOptions>;
