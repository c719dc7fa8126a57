/**
 * The seams to the outside world: one port per downstream system. Activities depend on these
 * interfaces only; `src/activities/clients/*` implements them over HTTP against the reference
 * services. To use your real systems, replace one client module per downstream.
 *
 * Contract for every implementation:
 *  - every call carries a deterministic idempotency key (workflow id + step) and returns the
 *    original result when the same key is seen again;
 *  - every call has a timeout and is aborted when `signal` aborts (activity cancellation);
 *  - failures are thrown as the typed errors of `./errors` (never retried here: Temporal owns
 *    retries).
 */
import type { FraudAssessment, OrderItem, ShippingAddress } from '../workflows/order-types';

export type { FraudAssessment };

export interface CallOptions {
  idempotencyKey: string;
  /** Aborts the outbound call (activity cancellation or heartbeat timeout). */
  signal?: AbortSignal;
}

export interface Reservation {
  reservationId: string;
  status: 'reserved' | 'released' | 'committed';
}

/**
 * Compensations are registered before their forward step runs, so they address the forward
 * step by its idempotency key (not by an id it may never have returned) and must succeed as a
 * no-op (`not_found`) when the forward step never took effect.
 */
export interface CompensationResult {
  status: 'released' | 'refunded' | 'voided' | 'not_found';
  /** Id of the reservation / refund, when there was something to undo. */
  id: string | null;
}

export interface InventoryPort {
  /** Locks stock for every line, all or nothing. Throws OutOfStockError. */
  reserve(
    req: { orderId: string; items: Pick<OrderItem, 'sku' | 'quantity'>[] },
    opts: CallOptions,
  ): Promise<Reservation>;
  /**
   * Compensation: returns the stock of the reservation made with `reservationKey` (the
   * idempotency key of `reserve`). Releasing twice, or releasing what was never reserved, is a no-op.
   */
  release(req: { orderId: string; reservationKey: string }, opts: CallOptions): Promise<CompensationResult>;
  /** The goods left the warehouse: the reservation is consumed and can no longer be released. */
  commit(req: { orderId: string; reservationKey: string }, opts: CallOptions): Promise<Reservation>;
}

export interface Charge {
  chargeId: string;
  amount: number;
  currency: string;
  status: 'captured' | 'refunded';
}

export interface PaymentsPort {
  /** Throws PaymentDeclinedError, InsufficientFundsError or FraudSuspectedError. */
  capture(
    req: { orderId: string; customerId: string; amount: number; currency: string },
    opts: CallOptions,
  ): Promise<Charge>;
  /**
   * Compensation: refunds in full the capture made with `captureKey` (the idempotency key of
   * `capture`). Refunding twice, or refunding what was never captured, is a no-op.
   */
  refund(req: { orderId: string; captureKey: string }, opts: CallOptions): Promise<CompensationResult>;
}

export interface Shipment {
  shipmentId: string;
  trackingNumber: string;
  carrier: string;
}

export interface CarrierPort {
  readonly name: string;
  /** Throws AddressRejectedError for an undeliverable address. */
  dispatch(
    req: { orderId: string; address: ShippingAddress; items: Pick<OrderItem, 'sku' | 'quantity'>[] },
    opts: CallOptions,
  ): Promise<Shipment>;
  /**
   * Gives up the dispatch made (or still travelling) with `shipmentKey`, the idempotency key of
   * `dispatch`: cancels the shipment if it was created (`voided`), and otherwise voids the key
   * so a late request with it is refused (`not_found`). Idempotent. Run before shipping with
   * another carrier when this one may have received the order but never answered.
   */
  voidShipment(req: { orderId: string; shipmentKey: string }, opts: CallOptions): Promise<CompensationResult>;
}

export interface FraudPort {
  score(
    req: {
      orderId: string;
      customerId: string;
      email: string;
      total: number;
      currency: string;
      country: string;
      itemCount: number;
    },
    opts: CallOptions,
  ): Promise<FraudAssessment>;
}

export interface NotificationsPort {
  /**
   * `channel` defaults to 'email' (to `email`, the customer). 'page' goes to the on-call
   * approvers (listed in `data.approvers`), never to the customer; `email` is then ignored.
   */
  send(
    req: {
      orderId: string;
      customerId: string;
      email: string;
      template: string;
      data: Record<string, unknown>;
      channel?: 'email' | 'page';
    },
    opts: CallOptions,
  ): Promise<{ notificationId: string }>;
}

/** High-priority alerts about one order (the SLA watchdog's), to an incident tool's webhook. */
export interface OrderAlert {
  orderId: string;
  customerId: string;
  severity: 'high';
  summary: string;
  /** Everything an on-call person needs without opening anything else. */
  context: Record<string, unknown>;
}

export interface AlertsPort {
  raise(alert: OrderAlert, opts: CallOptions): Promise<{ alertId: string | null }>;
}

export interface DownstreamPorts {
  inventory: InventoryPort;
  payments: PaymentsPort;
  primaryCarrier: CarrierPort;
  backupCarrier: CarrierPort;
  fraudModel: FraudPort;
  fraudRules: FraudPort;
  notifications: NotificationsPort;
}
