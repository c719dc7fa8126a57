/**
 * Changes to the saga shipped behind `patched()`, so orders already in flight keep the code
 * path their history recorded (docs/versioning.md has the patched → deprecatePatch → removal
 * lifecycle). Each id marks one behaviour change; the test in test/replay replays histories
 * recorded before it against the current code.
 */
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
   * Steps that do not depend on each other run together: fraud scoring starts with the stock
   * reservation (read once the stock is locked), the customer mail with the stock commit. One id
   * for both, shipped together: each patch is a marker and a search-attribute upsert per order.
   */
  concurrentSteps: 'concurrent-steps',
} as const;
