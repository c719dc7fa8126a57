/**
 * Errors thrown by downstream clients. Each carries the failure type the workflow routes on;
 * `toApplicationFailure` (in the activities) turns them into Temporal failures.
 */
import { FailureType } from '../workflows/failures';

export class DownstreamError extends Error {
  constructor(
    readonly type: FailureType,
    message: string,
    readonly downstream: string,
    readonly details: Record<string, unknown> = {},
  ) {
    super(message);
    this.name = `${type}Error`;
  }
}

/** A definitive "no" from a downstream: retrying cannot change it. */
export class BusinessRejectionError extends DownstreamError {}

export class OutOfStockError extends BusinessRejectionError {
  constructor(downstream: string, message: string, details: Record<string, unknown> = {}) {
    super(FailureType.OutOfStock, message, downstream, details);
  }
}
export class PaymentDeclinedError extends BusinessRejectionError {
  constructor(downstream: string, message: string, details: Record<string, unknown> = {}) {
    super(FailureType.PaymentDeclined, message, downstream, details);
  }
}
export class InsufficientFundsError extends BusinessRejectionError {
  constructor(downstream: string, message: string, details: Record<string, unknown> = {}) {
    super(FailureType.InsufficientFunds, message, downstream, details);
  }
}
export class FraudSuspectedError extends BusinessRejectionError {
  constructor(downstream: string, message: string, details: Record<string, unknown> = {}) {
    super(FailureType.FraudSuspected, message, downstream, details);
  }
}
export class AddressRejectedError extends BusinessRejectionError {
  constructor(downstream: string, message: string, details: Record<string, unknown> = {}) {
    super(FailureType.AddressRejected, message, downstream, details);
  }
}
export class InvalidRequestError extends BusinessRejectionError {
  constructor(downstream: string, message: string, details: Record<string, unknown> = {}) {
    super(FailureType.InvalidRequest, message, downstream, details);
  }
}

/** 5xx, connection refused or reset: worth retrying. */
export class DownstreamUnavailableError extends DownstreamError {
  constructor(downstream: string, message: string, details: Record<string, unknown> = {}) {
    super(FailureType.DownstreamUnavailable, message, downstream, details);
  }
}
/** The call's own timeout fired. */
export class DownstreamTimeoutError extends DownstreamError {
  constructor(downstream: string, message: string, details: Record<string, unknown> = {}) {
    super(FailureType.DownstreamTimeout, message, downstream, details);
  }
}
/** 429: retry no sooner than `retryAfterMs`. */
export class RateLimitedError extends DownstreamError {
  constructor(
    downstream: string,
    message: string,
    readonly retryAfterMs: number,
  ) {
    super(FailureType.RateLimited, message, downstream, { retryAfterMs });
  }
}
/**
 * The downstream's circuit breaker is open: the call was not made. Retryable (the breaker
 * half-opens later); steps with an alternative path treat it as final and take that path.
 */
export class CircuitOpenError extends DownstreamError {
  constructor(downstream: string, message: string, details: Record<string, unknown> = {}) {
    super(FailureType.CircuitOpen, message, downstream, details);
  }
}
/**
 * The downstream's bulkhead in this worker process is full: as many calls running as it allows
 * and as many waiting. The call was not made; retried with backoff, like an unavailable service.
 */
export class BulkheadFullError extends DownstreamError {
  constructor(downstream: string, message: string, details: Record<string, unknown> = {}) {
    super(FailureType.BulkheadFull, message, downstream, details);
  }
}
