/**
 * The order workflow's public surface: its name, search attributes, query and updates, defined
 * once and imported by the workflow, the API, the dev stack and scripts alike. Workflow-safe.
 */
import { defineSearchAttributeKey, SearchAttributeType, type SearchAttributePair } from '@temporalio/common';
import { defineQuery, defineUpdate } from '@temporalio/workflow';
import type { FraudAssessment, OrderInput } from './order-types';
import { OrderStatus } from './order-status';

export const ORDER_WORKFLOW_TYPE = 'orderFulfillment';

// Custom search attributes: the workflow upserts them, the API lists by them, the dev stack registers them.
export const OrderStatusKey = defineSearchAttributeKey('OrderStatus', SearchAttributeType.KEYWORD);
export const CustomerIdKey = defineSearchAttributeKey('CustomerId', SearchAttributeType.KEYWORD);
/** Order total in minor units (e.g. cents). */
export const OrderTotalKey = defineSearchAttributeKey('OrderTotal', SearchAttributeType.INT);
export const OrderCurrencyKey = defineSearchAttributeKey('OrderCurrency', SearchAttributeType.KEYWORD);

export const ORDER_SEARCH_ATTRIBUTES = [OrderStatusKey, CustomerIdKey, OrderTotalKey, OrderCurrencyKey] as const;

/**
 * The search attributes a starter must pass as `typedSearchAttributes` when it starts an order,
 * so the order is listable from its first moment; the workflow upserts `OrderStatus` afterwards
 * (a status it only passes through once it stayed there for `STATUS_SETTLE`, order-recorder.ts).
 */
export function orderSearchAttributes(input: OrderInput): SearchAttributePair[] {
  return [
    { key: OrderStatusKey, value: OrderStatus.RECEIVED },
    { key: CustomerIdKey, value: input.customer.id },
    { key: OrderTotalKey, value: input.total },
    { key: OrderCurrencyKey, value: input.currency },
  ];
}

/**
 * Saga steps, as they appear in attempts, errors and idempotency keys (`${workflowId}:${step}`;
 * the workflow id is the order id).
 */
export type OrderStep =
  | 'reserveInventory'
  | 'scoreFraud'
  | 'awaitApproval'
  | 'capturePayment'
  | 'dispatchShipment'
  | 'commitInventory'
  | 'notifyCustomer'
  | 'releaseInventory'
  | 'refundPayment'
  | 'pageApprovers'
  | 'scoreFraudByRules'
  | 'voidShipment'
  | 'raiseSlaAlert';

export interface StatusTransition {
  from: OrderStatus | null;
  to: OrderStatus;
  /** Workflow time, ISO 8601. */
  at: string;
  reason: string;
  attempt?: number;
}

export interface StepError {
  step: OrderStep;
  type: string;
  message: string;
  at: string;
}

export interface CompensationRecord {
  step: OrderStep;
  status: 'completed' | 'failed';
  at: string;
  error?: { type: string; message: string };
}

export interface ApprovalRequest {
  requestedAt: string;
  reasons: string[];
  fraud?: FraudAssessment;
  escalatedAt?: string;
  decision?: { decision: 'approve' | 'reject'; approver: string; comment?: string; at: string; automatic?: boolean };
}

/** Everything the one query answers about an order. */
export interface OrderState {
  orderId: string;
  status: OrderStatus;
  currentStep: OrderStep | null;
  order: OrderInput;
  transitions: StatusTransition[];
  attempts: Partial<Record<OrderStep, number>>;
  lastError: StepError | null;
  compensations: CompensationRecord[];
  fraud: FraudAssessment | null;
  approval: ApprovalRequest | null;
  reservationId: string | null;
  charge: { chargeId: string; amount: number; currency: string } | null;
  shipment: { shipmentId: string; trackingNumber: string; carrier: string } | null;
  cancellation: { reason: string; requestedBy: string; at: string } | null;
  /** Set while the order waits in NEEDS_ATTENTION for an operator; cleared when it resumes. */
  parked: ParkedInfo | null;
  /**
   * Alternative paths the order took (backup carrier, rules scorer, a notification given up),
   * oldest first. Always present in orders run by this code; optional in the type so that
   * clients written against the first version of the state keep compiling.
   */
  fallbacks?: FallbackRecord[];
  /** Set once the SLA watchdog found the order overstaying a status (at most once per order). */
  sla?: SlaBreach | null;
}

export interface FallbackRecord {
  step: OrderStep;
  /** What failed: a scorer, a carrier, a channel. */
  from: string;
  /** What was used instead ("skipped" when the work was given up). */
  to: string;
  /** The failure that made the order switch, as `Type: message`. */
  reason: string;
  at: string;
}

export interface SlaBreach {
  /** The status the order stayed in too long. */
  status: OrderStatus;
  /** The SLA from the order's policy, e.g. "300s". */
  limit: string;
  enteredAt: string;
  breachedAt: string;
  alert: {
    /** `logged`: no webhook configured, the error log line was the alert. */
    status: 'pending' | 'sent' | 'logged' | 'failed';
    alertId?: string | null;
    error?: string;
  };
}

export interface ParkedInfo {
  reason: string;
  /** The status the order parked from, and returns to on an operator retry. */
  from: OrderStatus;
  at: string;
  /** Compensations still to re-run (when parked during compensation). */
  pendingCompensations: OrderStep[];
  /** The forward step that ran out of retries (when parked on one); a retry runs it again. */
  step?: OrderStep;
}

export interface RetryRequest {
  /** Identity of the operator, from the caller's credentials. */
  operator: string;
  reason?: string;
}

export interface ApprovalDecision {
  decision: 'approve' | 'reject';
  /** Identity of the approver, taken from the caller's credentials (never the request body). */
  approver: string;
  comment?: string;
}

export interface CancelRequest {
  reason: string;
  requestedBy: string;
}

/** The state of an order that has only just arrived: nothing done, nothing decided. */
export function receivedOrderState(input: OrderInput): OrderState {
  return {
    orderId: input.orderId,
    status: 'RECEIVED',
    currentStep: null,
    order: input,
    transitions: [],
    attempts: {},
    lastError: null,
    compensations: [],
    fraud: null,
    approval: null,
    reservationId: null,
    charge: null,
    shipment: null,
    cancellation: null,
    parked: null,
    fallbacks: [],
    sla: null,
  };
}

export const getOrderStateQuery = defineQuery<OrderState>('getOrderState');

/**
 * Approve or reject an order waiting in AWAITING_APPROVAL (refused otherwise, or from an
 * approver not in `policy.approvers`). Returns the resulting state: after an approval, once the
 * gate has opened (INVENTORY_LOCKED, on the way to payment); after a rejection, once the order
 * has settled (REJECTED, or NEEDS_ATTENTION if a compensation kept failing).
 */
export const decideApprovalUpdate = defineUpdate<OrderState, [ApprovalDecision]>('decideApproval');

/**
 * Customer cancellation; refused (validator) once dispatch has started. Also accepted for an
 * order parked on a forward step before dispatch (an operator giving up on a dead letter).
 * Returns the state once the order has settled (CANCELLED, or NEEDS_ATTENTION if a
 * compensation kept failing).
 */
export const cancelOrderUpdate = defineUpdate<OrderState, [CancelRequest]>('cancelOrder');

/**
 * Operator retry of an order parked in NEEDS_ATTENTION (refused otherwise): re-runs what failed
 * and returns the state once the order has settled again (terminal, or parked anew).
 */
export const retryParkedOrderUpdate = defineUpdate<OrderState, [RetryRequest]>('retryParkedOrder');
