/**
 * The order-fulfillment saga, on one page:
 *
 *   reserveInventory → scoreFraud → [approval gate] → capturePayment → dispatchShipment
 *     → commitInventory → notifyCustomer → COMPLETED
 *
 * Before each effectful step its undo is registered; any failure before the goods leave runs the
 * undos newest first (COMPENSATING) and ends the order by what went wrong: a definitive payment
 * failure → TRANSACTION_REVOKED, out of stock or a rejection → REJECTED, a customer
 * cancellation → CANCELLED. An undo that keeps failing parks the order in NEEDS_ATTENTION.
 * The query, updates and search attributes are in `definitions.ts` and `search-attributes.ts`.
 */
import { ApplicationFailure, CancellationScope, allHandlersFinished, condition, isCancellation, proxyActivities, setHandler } from '@temporalio/workflow';
import type { OrderActivities } from '../activities';
import type { FraudAssessment } from '../activities/ports';
import { ApprovalGate, approvalReasons } from './approval-gate';
import { CompensationStack } from './compensation';
import { cancelOrderUpdate, decideApprovalUpdate, getOrderStateQuery, retryParkedOrderUpdate, type ApprovalDecision, type CancelRequest, type OrderState, type RetryRequest } from './definitions';
import { DEFINITIVE_PAYMENT_FAILURES, FailureType } from './failure-types';
import { isTerminal } from './order-state-machine';
import { OrderRecorder, describeFailure, now, rethrowIfBug } from './order-recorder';
import { OrderStatus } from './order-status';
import type { OrderInput } from './order-types';
import { ParkingLot } from './parking';
import { ActivityPolicies } from './policies';

// One proxy per downstream, each with the policy declared for it in `policies.ts`.
const inventory = proxyActivities<OrderActivities>(ActivityPolicies.inventory);
const fraudScoring = proxyActivities<OrderActivities>(ActivityPolicies.fraud);
const payments = proxyActivities<OrderActivities>(ActivityPolicies.payments);
const shipping = proxyActivities<OrderActivities>(ActivityPolicies.shipping);
const notifications = proxyActivities<OrderActivities>(ActivityPolicies.notifications);
const undo = proxyActivities<OrderActivities>(ActivityPolicies.compensation);

export async function orderFulfillment(input: OrderInput): Promise<OrderState> {
  const { orderId } = input;
  const lines = input.items.map(({ sku, quantity }) => ({ sku, quantity }));
  const order = new OrderRecorder(input);
  const compensations = new CompensationStack(order);
  const parking = new ParkingLot(order);
  const gate = new ApprovalGate(order, (context) => pageApprovers(order, context));
  // Everything before dispatch runs in this scope: a customer cancellation cancels it.
  const beforeDispatch = new CancellationScope();
  let dispatchStarted = false;

  setHandler(getOrderStateQuery, () => order.state);
  setHandler(decideApprovalUpdate, (d: ApprovalDecision) => gate.decide(d), { validator: (d: ApprovalDecision) => gate.validate(d) });
  setHandler(retryParkedOrderUpdate, (r: RetryRequest) => parking.retryParked(r), { validator: (r: RetryRequest) => parking.validate(r) });
  setHandler(
    cancelOrderUpdate,
    async (req: CancelRequest) => {
      order.state.cancellation = { reason: req.reason, requestedBy: req.requestedBy, at: now() };
      beforeDispatch.cancel();
      await condition(() => isTerminal(order.status) || order.status === OrderStatus.NEEDS_ATTENTION);
      return order.state;
    },
    { validator: (req: CancelRequest) => validateCancel(order, dispatchStarted, req) },
  );

  order.begin(input.requestId ? `order received (request ${input.requestId})` : 'order received');
  try {
    await beforeDispatch.run(async () => {
      compensations.register('releaseInventory', () => undo.releaseInventory({ orderId }));
      const reservation = await order.step('reserveInventory', () => inventory.reserveInventory({ orderId, items: lines }));
      order.state.reservationId = reservation.reservationId;
      order.transition(OrderStatus.INVENTORY_LOCKED, `reservation ${reservation.reservationId}`, reservation.attempt);

      const fraud = await order.step('scoreFraud', () =>
        fraudScoring.scoreFraud({ orderId, customerId: input.customer.id, email: input.customer.email, total: input.total, currency: input.currency, country: input.shippingAddress.country, itemCount: lines.length }),
      );
      order.state.fraud = { score: fraud.score, reasons: fraud.reasons, scorer: fraud.scorer };
      if (fraud.score >= input.policy.fraudReviewBand.high) throw order.fail('scoreFraud', fraudSuspected(order.state.fraud));
      const reasons = approvalReasons(input, order.state.fraud);
      if (reasons.length > 0) await gate.await(reasons, order.state.fraud);

      compensations.register('refundPayment', () => undo.refundPayment({ orderId }));
      const charge = await order.step('capturePayment', () => payments.capturePayment({ orderId, customerId: input.customer.id, amount: input.total, currency: input.currency }));
      order.state.charge = { chargeId: charge.chargeId, amount: charge.amount, currency: charge.currency };
      order.transition(OrderStatus.PAYMENT_CAPTURED, `charge ${charge.chargeId}`, charge.attempt);
    });
    // A cancellation accepted in the same activation as the capture's result still wins.
    if (order.state.cancellation) throw new CancellationRequested();

    // From here on cancellation is refused: a dispatch in flight cannot be recalled.
    dispatchStarted = true;
    const shipment = await CancellationScope.nonCancellable(() =>
      order.step('dispatchShipment', () => shipping.dispatchShipment({ orderId, address: input.shippingAddress, items: lines, carrier: 'primary' })),
    );
    order.state.shipment = { shipmentId: shipment.shipmentId, trackingNumber: shipment.trackingNumber, carrier: shipment.carrier };
    order.transition(OrderStatus.SHIPPING_DISPATCHED, `shipment ${shipment.shipmentId} with ${shipment.carrier}`, shipment.attempt);
  } catch (err) {
    rethrowIfBug(err, CancellationRequested);
    const { status, reason } = outcomeOf(order, err);
    order.transition(OrderStatus.COMPENSATING, reason, describeFailure(err).attempt);
    for (let failed = await compensations.runPending(); failed.length > 0; failed = await compensations.runPending()) {
      await parking.parkUntilRetried(`compensation failed: ${failed.join(', ')} (${order.state.lastError?.message ?? 'unknown error'})`, failed);
    }
    order.transition(status, reason);
    return finish(order);
  }

  // The goods have left: nothing is undone any more, and a cancellation cannot stop the rest.
  await CancellationScope.nonCancellable(async () => {
    for (;;) {
      try {
        await order.step('commitInventory', () => inventory.commitInventory({ orderId }));
        break;
      } catch (err) {
        rethrowIfBug(err);
        await parking.parkUntilRetried(`commitInventory failed after dispatch: ${describeFailure(err).message}`);
      }
    }
    // Non-critical: a failed confirmation is recorded (lastError) but never fails the order.
    await order
      .step('notifyCustomer', () =>
        notifications.notifyCustomer({ orderId, customerId: input.customer.id, email: input.customer.email, template: 'order-confirmed', data: { shipment: order.state.shipment, total: input.total, currency: input.currency } }),
      )
      .catch((err: unknown) => rethrowIfBug(err));
  });
  order.transition(OrderStatus.COMPLETED, 'shipped and stock committed');
  return finish(order);
}

/** Raised when a cancellation was accepted but the forward scope had already finished. */
class CancellationRequested extends Error {
  override name = 'CancellationRequested';
}

/** A score at or above the review band is treated like the payment provider's fraud verdict. */
function fraudSuspected(fraud: FraudAssessment): ApplicationFailure {
  return ApplicationFailure.nonRetryable(`fraud score ${fraud.score} (${fraud.scorer}) is at or above the review band: ${fraud.reasons.join('; ')}`, FailureType.FraudSuspected);
}

/** How a failure before dispatch ends the order. */
function outcomeOf(order: OrderRecorder, err: unknown): { status: OrderStatus; reason: string } {
  const { cancellation } = order.state;
  if (isCancellation(err) || err instanceof CancellationRequested) {
    return { status: OrderStatus.CANCELLED, reason: cancellation ? `cancelled by ${cancellation.requestedBy}: ${cancellation.reason}` : 'workflow cancellation requested' };
  }
  const { type, message } = describeFailure(err);
  if (DEFINITIVE_PAYMENT_FAILURES.includes(type)) return { status: OrderStatus.TRANSACTION_REVOKED, reason: `${type}: ${message}` };
  // Out of stock, an approval rejected, or a step whose retries ran out.
  return { status: OrderStatus.REJECTED, reason: `${type}: ${message}` };
}

function validateCancel(order: OrderRecorder, dispatchStarted: boolean, req: CancelRequest): void {
  const { status, orderId, cancellation } = order.state;
  if (!req?.requestedBy) throw new Error('requestedBy is required');
  if (dispatchStarted) throw new Error(`order ${orderId} can no longer be cancelled: the shipment has been dispatched (status ${status})`);
  if (cancellation) throw new Error(`order ${orderId} is already being cancelled`);
  if (isTerminal(status) || status === OrderStatus.COMPENSATING || status === OrderStatus.NEEDS_ATTENTION) {
    throw new Error(`order ${orderId} can no longer be cancelled (status ${status})`);
  }
}

async function pageApprovers(order: OrderRecorder, context: Record<string, unknown>): Promise<void> {
  const { orderId, customer, policy } = order.state.order;
  // A failed page is recorded (lastError) and the order keeps waiting for a decision.
  await order.step('pageApprovers', () => notifications.pageApprovers({ orderId, customerId: customer.id, email: customer.email, approvers: policy.approvers, context })).catch((err: unknown) => rethrowIfBug(err));
}

/** Lets update handlers return their result before the workflow completes (even if it was cancelled). */
async function finish(order: OrderRecorder): Promise<OrderState> {
  await CancellationScope.nonCancellable(() => condition(allHandlersFinished));
  return order.state;
}
