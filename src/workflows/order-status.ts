/**
 * The states an order moves through, and which moves between them are legal. Pure and
 * workflow-safe: the workflow asks the table before every transition, so a bug that tries an
 * impossible move fails loudly instead of leaving the order in a state nobody designed.
 */
export const OrderStatus = {
  RECEIVED: 'RECEIVED',
  INVENTORY_LOCKED: 'INVENTORY_LOCKED',
  AWAITING_APPROVAL: 'AWAITING_APPROVAL',
  PAYMENT_CAPTURED: 'PAYMENT_CAPTURED',
  SHIPPING_DISPATCHED: 'SHIPPING_DISPATCHED',
  COMPLETED: 'COMPLETED',
  COMPENSATING: 'COMPENSATING',
  /** A definitive payment failure; the inventory lock was released. */
  TRANSACTION_REVOKED: 'TRANSACTION_REVOKED',
  /** Cancelled by the customer before dispatch. */
  CANCELLED: 'CANCELLED',
  /** Refused: out of stock, approval rejected or timed out. */
  REJECTED: 'REJECTED',
  /** Parked for an operator (dead letter): a dependency stayed down or a compensation kept failing. */
  NEEDS_ATTENTION: 'NEEDS_ATTENTION',
} as const;
export type OrderStatus = (typeof OrderStatus)[keyof typeof OrderStatus];

export const TERMINAL_STATUSES: readonly OrderStatus[] = [
  OrderStatus.COMPLETED,
  OrderStatus.TRANSACTION_REVOKED,
  OrderStatus.CANCELLED,
  OrderStatus.REJECTED,
];

const S = OrderStatus;

/** Statuses an order may park from, and go back to when an operator retries it. */
const PARKABLE: readonly OrderStatus[] = [
  S.RECEIVED,
  S.INVENTORY_LOCKED,
  S.PAYMENT_CAPTURED,
  S.SHIPPING_DISPATCHED,
  S.COMPENSATING,
];

export const ORDER_TRANSITIONS: Readonly<Record<OrderStatus, readonly OrderStatus[]>> = {
  // Every failure before dispatch goes through COMPENSATING: the release of the inventory lock
  // is registered before the lock is even requested, so there is always something to undo.
  [S.RECEIVED]: [S.INVENTORY_LOCKED, S.COMPENSATING, S.NEEDS_ATTENTION],
  [S.INVENTORY_LOCKED]: [S.AWAITING_APPROVAL, S.PAYMENT_CAPTURED, S.COMPENSATING, S.NEEDS_ATTENTION],
  // An approval re-opens the gate: back to INVENTORY_LOCKED, on the way to payment.
  [S.AWAITING_APPROVAL]: [S.INVENTORY_LOCKED, S.COMPENSATING],
  [S.PAYMENT_CAPTURED]: [S.SHIPPING_DISPATCHED, S.COMPENSATING, S.NEEDS_ATTENTION],
  // The goods have left: nothing can be undone, only completed (or parked for an operator).
  [S.SHIPPING_DISPATCHED]: [S.COMPLETED, S.NEEDS_ATTENTION],
  [S.COMPENSATING]: [S.TRANSACTION_REVOKED, S.CANCELLED, S.REJECTED, S.NEEDS_ATTENTION],
  [S.NEEDS_ATTENTION]: PARKABLE,
  [S.COMPLETED]: [],
  [S.TRANSACTION_REVOKED]: [],
  [S.CANCELLED]: [],
  [S.REJECTED]: [],
};

/** The first status of every order. */
export const INITIAL_STATUS = S.RECEIVED;

/**
 * A plain Error on purpose (not an ApplicationFailure): thrown in workflow code it fails the
 * workflow *task*, which Temporal shows in the UI and retries, so the order stays open with its
 * locks and history until the bug is fixed and the worker redeployed.
 */
export class IllegalTransitionError extends Error {
  override name = 'IllegalTransitionError';
  constructor(
    readonly from: OrderStatus | null,
    readonly to: OrderStatus,
  ) {
    super(`Illegal order transition ${from ?? '(start)'} → ${to}`);
  }
}

export function canTransition(from: OrderStatus | null, to: OrderStatus): boolean {
  if (from === null) return to === INITIAL_STATUS;
  return ORDER_TRANSITIONS[from].includes(to);
}

export function assertTransition(from: OrderStatus | null, to: OrderStatus): void {
  if (!canTransition(from, to)) throw new IllegalTransitionError(from, to);
}

export function isTerminal(status: OrderStatus): boolean {
  return TERMINAL_STATUSES.includes(status);
}
