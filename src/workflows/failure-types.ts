/**
 * Names of the typed failures that cross the activity → workflow boundary (as
 * `ApplicationFailure.type`). Defined once here, workflow-safe, and used by the activities
 * that raise them and the workflow that routes on them.
 */
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
  // Raised by the workflow itself.
  /** An approver rejected the order, or nobody decided within the auto-reject window. */
  ApprovalRejected: 'ApprovalRejected',
} as const;
export type FailureType = (typeof FailureType)[keyof typeof FailureType];

/** A payment that failed for one of these reasons will never succeed: compensate. */
export const DEFINITIVE_PAYMENT_FAILURES: readonly string[] = [FailureType.PaymentDeclined, FailureType.InsufficientFunds, FailureType.FraudSuspected];

export const NON_RETRYABLE_FAILURES: readonly string[] = [
  FailureType.OutOfStock,
  FailureType.PaymentDeclined,
  FailureType.InsufficientFunds,
  FailureType.FraudSuspected,
  FailureType.AddressRejected,
  FailureType.InvalidRequest,
];
