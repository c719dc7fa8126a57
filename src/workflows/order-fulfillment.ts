/**
 * The order-fulfillment saga, on one page:
 *
 *   reserveInventory → scoreFraud → [approval gate] → capturePayment → dispatchShipment
 *     → commitInventory → COMPLETED → notifyCustomer
 *
 * Before each effectful step its undo is registered; any failure before the goods leave runs the
 * undos newest first (COMPENSATING) and ends the order by what went wrong: a definitive payment
 * failure → TRANSACTION_REVOKED, out of stock or a rejection → REJECTED, a customer
 * cancellation → CANCELLED. An undo that keeps failing parks the order in NEEDS_ATTENTION.
 * Sick dependencies (`forward-steps.ts`): the backup carrier and the rules scorer stand in for
 * the primary ones; a step whose retries ran out parks the order for an operator; the customer
 * mail never holds up or fails an order. An order overstaying INVENTORY_LOCKED raises one alert
 * (`sla-watchdog.ts`). Changes since the first version are behind `patched()` (`versions.ts`).
 * The query, updates and search attributes are in `definitions.ts` and `search-attributes.ts`.
 */
import { ApplicationFailure, CancellationScope, allHandlersFinished, condition, isCancellation, patched, setHandler } from '@temporalio/workflow';
import type { FraudAssessment } from '../activities/ports';
import { ApprovalGate, approvalReasons } from './approval-gate';
import { CompensationStack } from './compensation';
import { cancelOrderUpdate, decideApprovalUpdate, getOrderStateQuery, retryParkedOrderUpdate, type ApprovalDecision, type CancelRequest, type OrderState, type RetryRequest } from './definitions';
import { downstreamProxies, type DownstreamProxies } from './downstreams';
import { DEFINITIVE_PAYMENT_FAILURES, FailureType } from './failure-types';
import { ForwardSteps } from './forward-steps';
import { isTerminal } from './order-state-machine';
import { OrderRecorder, describeFailure, now, rethrowIfBug } from './order-recorder';
import { OrderStatus } from './order-status';
import type { OrderInput } from './order-types';
import { ParkingLot } from './parking';
import { SlaWatchdog } from './sla-watchdog';
import { Patches } from './versions';

export async function orderFulfillment(input: OrderInput): Promise<OrderState> {
  const { orderId } = input;
  const lines = input.items.map(({ sku, quantity }) => ({ sku, quantity }));
  // One proxy per downstream, on its own task queue (bulkhead) with its own policy.
  const { inventory, fraudModel, fraudRules, payments, primaryCarrier, backupCarrier, carrierVoid, notifications, alerts, undoInventory, undoPayments } = downstreamProxies();
  const order = new OrderRecorder(input);
  const compensations = new CompensationStack(order);
  const parking = new ParkingLot(order);
  const steps = new ForwardSteps(order, parking);
  const gate = new ApprovalGate(order, (context) => pageApprovers(order, notifications, context));
  const watchdog = new SlaWatchdog(order, (request) => alerts.raiseSlaAlert(request));
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
      const movesBefore = order.state.transitions.length;
      beforeDispatch.cancel();
      // Settled: terminal, or parked (anew, when the order was parked already).
      await condition(() => isTerminal(order.status) || (order.status === OrderStatus.NEEDS_ATTENTION && order.state.transitions.length > movesBefore));
      return order.state;
    },
    { validator: (req: CancelRequest) => validateCancel(order, dispatchStarted, req) },
  );

  order.begin(input.requestId ? `order received (request ${input.requestId})` : 'order received');
  try {
    await beforeDispatch.run(async () => {
      compensations.register('releaseInventory', () => undoInventory.releaseInventory({ orderId }));
      const reservation = await steps.run('reserveInventory', () => inventory.reserveInventory({ orderId, items: lines }));
      order.state.reservationId = reservation.reservationId;
      order.transition(OrderStatus.INVENTORY_LOCKED, `reservation ${reservation.reservationId}`, reservation.attempt);
      if (patched(Patches.slaWatchdog)) watchdog.start();

      const scoring = { orderId, customerId: input.customer.id, email: input.customer.email, total: input.total, currency: input.currency, country: input.shippingAddress.country, itemCount: lines.length };
      const fraud = await steps.run('scoreFraud', () => fraudModel.scoreFraud(scoring), { from: 'model', to: 'rules', step: 'scoreFraudByRules', call: () => fraudRules.scoreFraudByRules(scoring) });
      order.state.fraud = { score: fraud.score, reasons: fraud.reasons, scorer: fraud.scorer };
      if (fraud.score >= input.policy.fraudReviewBand.high) throw order.fail('scoreFraud', fraudSuspected(order.state.fraud));
      const reasons = approvalReasons(input, order.state.fraud);
      if (reasons.length > 0) await gate.await(reasons, order.state.fraud);

      compensations.register('refundPayment', () => undoPayments.refundPayment({ orderId }));
      const charge = await steps.run('capturePayment', () => payments.capturePayment({ orderId, customerId: input.customer.id, amount: input.total, currency: input.currency }));
      order.state.charge = { chargeId: charge.chargeId, amount: charge.amount, currency: charge.currency };
      order.transition(OrderStatus.PAYMENT_CAPTURED, `charge ${charge.chargeId}`, charge.attempt);
    });
    // A cancellation accepted in the same activation as the capture's result still wins.
    if (order.state.cancellation) throw new CancellationRequested();

    // From here on cancellation is refused: a dispatch in flight cannot be recalled.
    dispatchStarted = true;
    const parcel = { orderId, address: input.shippingAddress, items: lines };
    const shipment = await CancellationScope.nonCancellable(() =>
      steps.run('dispatchShipment', () => primaryCarrier.dispatchShipment({ ...parcel, carrier: 'primary' }), {
        from: 'primary',
        to: 'backup',
        call: () => backupCarrier.dispatchShipment({ ...parcel, carrier: 'backup' }),
        abandon: { step: 'voidShipment', call: () => carrierVoid.voidShipment({ orderId, carrier: 'primary' }) },
      }),
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
    return finish(order, watchdog);
  }

  // The goods have left: nothing is undone any more, and a cancellation cannot stop the rest.
  await CancellationScope.nonCancellable(async () => {
    await steps.runToCompletion('commitInventory', () => inventory.commitInventory({ orderId }));
    // Non-critical work fails first: the order is COMPLETED before the mail is even tried.
    const notifyFirst = !patched(Patches.notifyAfterCompletion);
    if (!notifyFirst) order.transition(OrderStatus.COMPLETED, 'shipped and stock committed');
    await order
      .step('notifyCustomer', () =>
        notifications.notifyCustomer({ orderId, customerId: input.customer.id, email: input.customer.email, template: 'order-confirmed', data: { shipment: order.state.shipment, total: input.total, currency: input.currency } }),
      )
      .catch((err: unknown) => {
        rethrowIfBug(err);
        if (!notifyFirst) order.recordFallback('notifyCustomer', 'email', 'skipped', err);
      });
    if (notifyFirst) order.transition(OrderStatus.COMPLETED, 'shipped and stock committed');
  });
  return finish(order, watchdog);
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
  // A parked forward step may be given up (its compensations release the locks); a parked undo may not.
  const parkedOnForwardStep = status === OrderStatus.NEEDS_ATTENTION && Boolean(order.state.parked?.step);
  if (isTerminal(status) || status === OrderStatus.COMPENSATING || (status === OrderStatus.NEEDS_ATTENTION && !parkedOnForwardStep)) {
    throw new Error(`order ${orderId} can no longer be cancelled (status ${status})`);
  }
}

async function pageApprovers(order: OrderRecorder, notifications: DownstreamProxies['notifications'], context: Record<string, unknown>): Promise<void> {
  const { orderId, customer, policy } = order.state.order;
  // A failed page is recorded (lastError) and the order keeps waiting for a decision.
  await order.step('pageApprovers', () => notifications.pageApprovers({ orderId, customerId: customer.id, email: customer.email, approvers: policy.approvers, context })).catch((err: unknown) => rethrowIfBug(err));
}

/** Lets update handlers return their result, and a running SLA alert end, before the workflow completes (even if it was cancelled). */
async function finish(order: OrderRecorder, watchdog: SlaWatchdog): Promise<OrderState> {
  await CancellationScope.nonCancellable(async () => {
    await watchdog.settled();
    await condition(allHandlersFinished);
  });
  return order.state;
}
