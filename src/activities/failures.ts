/**
 * Turns the typed errors of the downstream clients into the failures Temporal routes on:
 * business rejections are non-retryable; transient ones are retryable with our own
 * `nextRetryDelay` (exponential backoff with jitter, or the 429's Retry-After).
 */
import { ApplicationFailure } from '@temporalio/common';
import { backoffDelayMs, rateLimitDelayMs, type BackoffSettings } from './backoff';
import { BusinessRejectionError, DownstreamError, RateLimitedError } from './errors';

/** Details attached to every mapped failure (readable in the workflow and the Web UI). */
export interface FailureDetails {
  downstream: string;
  attempt: number;
  nextRetryDelayMs?: number;
  [key: string]: unknown;
}

/**
 * Errors that are not a `DownstreamError` (a bug, a malformed response) are returned
 * unchanged: Temporal retries them under the step's retry policy, and they stay visible.
 */
export function toApplicationFailure(
  err: unknown,
  attempt: number,
  backoff: BackoffSettings,
  random: () => number = Math.random,
): unknown {
  if (!(err instanceof DownstreamError)) return err;
  const base: FailureDetails = { ...err.details, downstream: err.downstream, attempt };
  if (err instanceof BusinessRejectionError) {
    return ApplicationFailure.create({ type: err.type, message: err.message, nonRetryable: true, details: [base] });
  }
  const delayMs =
    err instanceof RateLimitedError
      ? rateLimitDelayMs(err.retryAfterMs, attempt, backoff, random)
      : backoffDelayMs(attempt, backoff, random);
  return ApplicationFailure.create({
    type: err.type,
    message: err.message,
    nonRetryable: false,
    nextRetryDelay: delayMs,
    details: [{ ...base, nextRetryDelayMs: delayMs }],
  });
}
