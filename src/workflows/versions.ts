/**
 * Changes to the saga shipped behind `patched()`, so orders already in flight keep the code
 * path their history recorded (docs/versioning.md has the patched → deprecatePatch → removal
 * lifecycle). Each id marks one behaviour change; the test in test/replay replays histories
 * recorded before it against the current code.
 */
import { patched } from '@temporalio/workflow';

export const Patches = {
  /** One high-priority alert when an order overstays INVENTORY_LOCKED (a timer the v1 saga never set). */
  slaWatchdog: 'sla-watchdog',
  /** Backup carrier and rules scorer when the primary's breaker is open or its retries ran out (v1 compensated). */
  fallbackPaths: 'fallback-paths',
  /** A forward step whose retries ran out parks the order in NEEDS_ATTENTION (v1 compensated → REJECTED). */
  parkOnExhaustedRetries: 'park-on-exhausted-retries',
  /** COMPLETED as soon as the goods are out and the stock committed; the customer mail follows (v1 mailed first). */
  notifyAfterCompletion: 'notify-after-completion',
  /**
   * An operator's retry of a step that left its primary (passed over, or its request voided)
   * resumes on the alternative, re-running an unfinished void first (v1: back to the primary,
   * which could complete an order on a voided shipment, or refund one both carriers could ship).
   */
  stayOnAlternative: 'stay-on-alternative',
  /**
   * The customer mail goes out alongside the stock commit, both once the goods have left: one
   * round trip fewer per order (v1 and v2: commit, then the mail). COMPLETED still waits for the
   * commit only, and a failed mail is still recorded, never raised.
   */
  mailWithCommit: 'mail-with-commit',
  /**
   * The search attributes the starter set (status, customer, total, currency) are not upserted
   * again at the start (v1–v4: two upserts repeating them). Also the baseline of `SagaChanges`:
   * an order started with it takes every change above without a marker of its own.
   */
  attributesFromStart: 'attributes-from-start',
} as const;
export type Patch = (typeof Patches)[keyof typeof Patches];

/**
 * Which changes an order runs with. Each `patched()` that records its marker also upserts the
 * `TemporalChangeVersion` search attribute: a history event and a visibility write per change and
 * per order. So one marker, `attributes-from-start`, recorded when the order starts, stands for
 * every change shipped before it; histories without it (orders started earlier) still ask each
 * change's own `patched()`, at the point where the change applies. Create once, at the start.
 */
export class SagaChanges {
  /** Started with `attributes-from-start`, hence with every earlier change. */
  readonly startedCurrent = patched(Patches.attributesFromStart);

  /** Whether the order takes `patch`'s behaviour (`patched()`'s answer, without a marker for current orders). */
  has(patch: Exclude<Patch, typeof Patches.attributesFromStart>): boolean {
    return this.startedCurrent || patched(patch);
  }
}
