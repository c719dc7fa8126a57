/**
 * The typed failures that cross the activity → workflow boundary (as `ApplicationFailure.type`),
 * and how the workflow reads a failure back. Defined once here, workflow-safe, and used by the
 * activities that raise them and the workflow that routes on them.
 */
import {
  ActivityFailure,
  ApplicationFailure,
  TemporalFailure,
  TimeoutFailure,
  isCancellation,
} from '@temporalio/workflow';

export const FailureType = {
  // Definitive business outcomes: never retried.
  OutOfStock: 'OutOfStock',
  PaymentDeclined: 'PaymentDeclined',
  InsufficientFunds: 'InsufficientFunds',
  FraudSuspected: 'FraudSuspected',
  AddressRejected: 'AddressRejected',
  InvalidRequest: 'InvalidRequest',
  // Transient: retried by Temporal with backoff (base × 2^attempt + jitter).
  DownstreamUnavailable: 'DownstreamUnavailable',
  DownstreamTimeout: 'DownstreamTimeout',
  RateLimited: 'RateLimited',
  /** A circuit breaker is open: fail fast so the workflow can take its fallback. */
  CircuitOpen: 'CircuitOpen',
  /** The downstream's bulkhead in this worker is full (calls running and waiting): the call was not made. */
  BulkheadFull: 'BulkheadFull',
  // Raised by the workflow itself.
  /** An approver rejected the order, or nobody decided within the auto-reject window. */
  ApprovalRejected: 'ApprovalRejected',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** A payment that failed for one of these reasons will never succeed: compensate. */
export const DEFINITIVE_PAYMENT_FAILURES: readonly string[] = [
  FailureType.PaymentDeclined,
  FailureType.InsufficientFunds,
  FailureType.FraudSuspected,
];

export const NON_RETRYABLE_FAILURES: readonly string[] = [
  FailureType.OutOfStock,
  FailureType.PaymentDeclined,
  FailureType.InsufficientFunds,
  FailureType.FraudSuspected,
  FailureType.AddressRejected,
  FailureType.InvalidRequest,
];

/**
 * Errors that are not Temporal failures (an IllegalTransitionError, a TypeError) are bugs in the
 * workflow: they must fail the workflow task, never be routed like a business outcome.
 */
export function rethrowIfBug(err: unknown, ...expected: (abstract new (...args: never[]) => Error)[]): void {
  if (err instanceof TemporalFailure || expected.some((type) => err instanceof type)) return;
  throw err;
}

/** What a failure says about itself, whatever wrapper it arrived in. */
export function describeFailure(err: unknown): { type: string; message: string; attempt?: number } {
  if (err instanceof ActivityFailure && err.cause) return describeFailure(err.cause);
  if (err instanceof ApplicationFailure) {
    const details = err.details?.[0] as { attempt?: unknown } | undefined;
    const attempt = typeof details?.attempt === 'number' ? details.attempt : undefined;
    return { type: err.type ?? 'Error', message: err.message, ...(attempt ? { attempt } : {}) };
  }
  if (err instanceof TimeoutFailure) return { type: `Timeout.${err.timeoutType}`, message: err.message };
  if (isCancellation(err)) return { type: 'Cancelled', message: err instanceof Error ? err.message : 'cancelled' };
  if (err instanceof Error) return { type: err.name, message: err.message };
  return { type: 'Error', message: String(err) };
}
