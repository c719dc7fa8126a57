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
   * again at the start (v1–v4: two upserts repeating them). A baseline of `SagaChanges`: an order
   * started with it takes every change above without a marker of its own.
   */
  attributesFromStart: 'attributes-from-start',
  /**
   * A status the order only passes through (INVENTORY_LOCKED, PAYMENT_CAPTURED, SHIPPING_DISPATCHED,
   * COMPENSATING) is upserted once the order has stayed in it for `STATUS_SETTLE` (a timer), not
   * at once: a happy order upserts its final status only (v1–v5: every status at once). The state,
   * the current details and the log still change at once. A baseline of `SagaChanges`.
   */
  settledStatus: 'settled-status',
  /**
   * The fraud score, a read, is requested alongside the stock reservation and used once the stock
   * is locked: one round trip fewer per order (v1–v6: reserve, then score). A score that failed
   * takes the usual route from there (the rules scorer, or a park). It is never cancelled: an
   * order rejected or cancelled first goes on without it, and closes once it has ended. The
   * newest baseline of `SagaChanges`.
   */
  scoreWithReservation: 'score-with-reservation',
} as const;
export type Patch = (typeof Patches)[keyof typeof Patches];

/**
 * The baselines, newest first. A baseline is a change whose marker, recorded when an order
 * starts, stands for itself and every change declared before it in `Patches`.
 */
const BASELINES: readonly Patch[] = [Patches.scoreWithReservation, Patches.settledStatus, Patches.attributesFromStart];

/**
 * Which changes an order runs with. Each `patched()` that records its marker also upserts the
 * `TemporalChangeVersion` search attribute: a history event and a visibility write per change and
 * per order. So when an order starts, one baseline is asked (the newest first; an order started
 * before it finds an older one, or none), and the changes it stands for are taken without a
 * marker of their own; any other change is asked with its own `patched()`, at the point where it
 * applies, as before. Create once, at the start of the workflow.
 */
export class SagaChanges {
  private readonly covered: ReadonlySet<Patch>;

  constructor() {
    const ids: Patch[] = Object.values(Patches);
    const baseline = BASELINES.find((id) => patched(id));
    this.covered = new Set(baseline ? ids.slice(0, ids.indexOf(baseline) + 1) : []);
  }

  /** Whether the order takes `patch`'s behaviour (`patched()`'s answer; no marker when its baseline covers it). */
  has(patch: Patch): boolean {
    return this.covered.has(patch) || patched(patch);
  }
}
