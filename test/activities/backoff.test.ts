import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import {
  backoffDelayMs,
  DEFAULT_BACKOFF,
  longestRetryDelayMs,
  rateLimitDelayMs,
  type BackoffSettings,
} from '../../src/activities/backoff';
import { ActivityPolicies, MAXIMUM_RETRY_INTERVAL } from '../../src/workflows/downstreams';
import { msToNumber } from '@temporalio/common/lib/time';

const settings = fc.record<BackoffSettings>({
  baseMs: fc.integer({ min: 1, max: 10_000 }),
  maxMs: fc.integer({ min: 10_000, max: 600_000 }),
  jitterRatio: fc.double({ min: 0, max: 1, noNaN: true }),
  retryAfterCapMs: fc.integer({ min: 1, max: 600_000 }),
});
const unit = fc.double({ min: 0, max: 1, maxExcluded: true, noNaN: true });

test('backoff is base × 2^(attempt-1) plus jitter in [0, ratio × that), capped before jitter', () => {
  fc.assert(
    fc.property(settings, fc.integer({ min: 1, max: 1_000 }), unit, (s, attempt, r) => {
      const exponential = Math.min(s.maxMs, s.baseMs * 2 ** (attempt - 1));
      const delay = backoffDelayMs(attempt, s, () => r);
      assert.ok(
        delay >= Math.round(exponential) && delay <= Math.round(exponential * (1 + s.jitterRatio)),
        `${delay} for attempt ${attempt}`,
      );
      assert.ok(delay <= longestRetryDelayMs(s));
    }),
  );
});

test('without jitter the delays double until the cap', () => {
  const s = { ...DEFAULT_BACKOFF, jitterRatio: 0 };
  assert.deepEqual(
    [1, 2, 3, 4, 5, 6, 7, 40].map((a) => backoffDelayMs(a, s)),
    [1_000, 2_000, 4_000, 8_000, 16_000, 30_000, 30_000, 30_000],
  );
});

test('backoff never decreases with the attempt for a fixed jitter draw', () => {
  fc.assert(
    fc.property(settings, fc.integer({ min: 1, max: 60 }), unit, (s, attempt, r) => {
      assert.ok(backoffDelayMs(attempt + 1, s, () => r) >= backoffDelayMs(attempt, s, () => r));
    }),
  );
});

test("a 429's Retry-After is honoured up to the cap; a missing one falls back to backoff", () => {
  fc.assert(
    fc.property(settings, fc.integer({ min: 1, max: 3_600_000 }), (s, retryAfter) => {
      assert.equal(rateLimitDelayMs(retryAfter, 1, s), Math.min(retryAfter, s.retryAfterCapMs));
    }),
  );
  assert.equal(rateLimitDelayMs(0, 3, { ...DEFAULT_BACKOFF, jitterRatio: 0 }), 4_000);
  assert.equal(rateLimitDelayMs(Number.NaN, 1, { ...DEFAULT_BACKOFF, jitterRatio: 0 }), 1_000);
});

test("every retry policy's maximumInterval is above the longest delay the activities ask for", () => {
  const longest = longestRetryDelayMs(DEFAULT_BACKOFF);
  assert.equal(longest, 60_000);
  for (const [name, options] of Object.entries(ActivityPolicies)) {
    assert.equal(options.retry?.maximumInterval, MAXIMUM_RETRY_INTERVAL, name);
    assert.ok(msToNumber(MAXIMUM_RETRY_INTERVAL) > longest, name);
    assert.ok(options.heartbeatTimeout, `${name} heartbeats`);
  }
});
