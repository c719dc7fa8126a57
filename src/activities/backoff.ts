/**
 * Retry delays for transient downstream failures, computed by the activity and handed to
 * Temporal as `ApplicationFailure.nextRetryDelay` (the server applies it as is: it adds no
 * jitter of its own). The seeds' formula, T_wait = base × 2^attempt + jitter, with `attempt`
 * counted from 0 for the first retry (Temporal's attempts count from 1).
 */
export interface BackoffSettings {
  /** Delay before the first retry, before jitter. */
  baseMs: number;
  /** Ceiling of the exponential part; jitter comes on top, so the longest delay is maxMs × (1 + jitterRatio). */
  maxMs: number;
  /** Jitter is uniform in [0, jitterRatio × exponential part): spreads a herd of retries apart. */
  jitterRatio: number;
  /** Longest Retry-After (429) honoured; a longer one is cut to this. */
  retryAfterCapMs: number;
}

/**
 * Longest delay here: 30 s × 1.25 = 37.5 s for backoff, 60 s for a Retry-After. The retry
 * policies in `src/workflows/downstreams.ts` keep `maximumInterval` at 2 minutes, above both
 * (a test checks it).
 */
export const DEFAULT_BACKOFF: BackoffSettings = {
  baseMs: 1_000,
  maxMs: 30_000,
  jitterRatio: 0.25,
  retryAfterCapMs: 60_000,
};

/** Longest delay these settings can produce, for either rule. */
export function longestRetryDelayMs(s: BackoffSettings): number {
  return Math.max(Math.ceil(s.maxMs * (1 + s.jitterRatio)), s.retryAfterCapMs);
}

/**
 * Delay before retrying after the failed attempt number `attempt` (1-based, as in
 * `Context.current().info.attempt`). `random` returns a number in [0, 1).
 */
export function backoffDelayMs(attempt: number, s: BackoffSettings, random: () => number = Math.random): number {
  const exponent = Math.max(0, Math.floor(attempt) - 1);
  const exponential = Math.min(s.maxMs, s.baseMs * 2 ** exponent);
  return Math.round(exponential + random() * exponential * s.jitterRatio);
}

/** A 429's Retry-After, honoured up to the cap; a missing or nonsensical one falls back to backoff. */
export function rateLimitDelayMs(
  retryAfterMs: number,
  attempt: number,
  s: BackoffSettings,
  random: () => number = Math.random,
): number {
  if (!Number.isFinite(retryAfterMs) || retryAfterMs <= 0) return backoffDelayMs(attempt, s, random);
  return Math.min(Math.ceil(retryAfterMs), s.retryAfterCapMs);
}
