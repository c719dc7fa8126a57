/**
 * How fast orders recover from a dependency's outage, read from the orders' own transition
 * times (workflow time is the host clock on a dev server). Shared by the chaos run and the
 * benchmark's recovery scenario.
 */
import type { OrderState } from '../../src/workflows/definitions';
import { isTerminal, OrderStatus } from '../../src/workflows/order-status';
import type { FinalView } from './audit';
import type { Service } from './stack';

/** The status an order reaches once `service` has done its part (for the recovery measurement). */
export const PASSED: Record<Service, OrderStatus> = {
  inventory: OrderStatus.INVENTORY_LOCKED,
  payments: OrderStatus.PAYMENT_CAPTURED,
  primaryCarrier: OrderStatus.SHIPPING_DISPATCHED,
  backupCarrier: OrderStatus.SHIPPING_DISPATCHED,
  fraud: OrderStatus.PAYMENT_CAPTURED,
  notifications: OrderStatus.COMPLETED,
};

export interface Recovery {
  /** From the end of the outage to the first completion of an order that passed the dependency after it. */
  recoveryMs: number | null;
  /** From the end of the outage until the last completed order held up by it completed. */
  backlogClearedMs: number | null;
  /**
   * Orders held up by the outage: received before it ended, not past the dependency when it
   * began, and completed or still going (orders that ended otherwise, e.g. declined, are left out).
   */
  backlog: number;
  /** Of `backlog`, those that completed (`backlogClearedMs` is over these). */
  backlogCompleted: number;
}

export function recovery(views: FinalView[], passed: OrderStatus, outageStart: number, outageEnd: number): Recovery {
  const time = (s: OrderState, to: OrderStatus) => {
    const t = s.transitions.find((x) => x.to === to);
    return t ? Date.parse(t.at) : null;
  };
  const completedAfter: { passedAt: number; completedAt: number; receivedAt: number }[] = [];
  let unfinishedHeldUp = 0;
  for (const v of views) {
    if (typeof v === 'string') continue;
    const passedAt = time(v, passed);
    const receivedAt = time(v, OrderStatus.RECEIVED);
    if (v.status !== OrderStatus.COMPLETED) {
      const heldUp = receivedAt !== null && receivedAt < outageEnd && (passedAt === null || passedAt >= outageStart);
      if (heldUp && !isTerminal(v.status)) unfinishedHeldUp += 1;
      continue;
    }
    const completedAt = time(v, OrderStatus.COMPLETED);
    if (passedAt !== null && completedAt !== null && receivedAt !== null)
      completedAfter.push({ passedAt, completedAt, receivedAt });
  }
  const needed = completedAfter.filter((c) => c.passedAt >= outageEnd);
  const heldUp = completedAfter.filter((c) => c.receivedAt < outageEnd && c.passedAt >= outageStart);
  return {
    recoveryMs: needed.length > 0 ? Math.min(...needed.map((c) => c.completedAt)) - outageEnd : null,
    backlogClearedMs: heldUp.length > 0 ? Math.max(...heldUp.map((c) => c.completedAt)) - outageEnd : null,
    backlog: heldUp.length + unfinishedHeldUp,
    backlogCompleted: heldUp.length,
  };
}
