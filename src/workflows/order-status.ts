/**
 * The states an order moves through. The transition table (which moves are legal) lives next
 * to these in `order-state-machine.ts`.
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
