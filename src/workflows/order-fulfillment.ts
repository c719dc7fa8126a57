/**
 * The order-fulfillment saga, on one page:
 *
 *   reserveInventory (with scoreFraud alongside) → [approval gate] → capturePayment
 *     → dispatchShipment → commitInventory (with notifyCustomer alongside) → COMPLETED
 *
 * Before each effectful step its undo is registered; any failure before the goods leave runs the
 * undos newest first (COMPENSATING) and ends the order by what went wrong: a definitive payment
 * failure → TRANSACTION_REVOKED, out of stock or a rejection → REJECTED, a customer
 * cancellation → CANCELLED. An undo that keeps failing parks the order in NEEDS_ATTENTION.
 * Sick dependencies (`forward-steps.ts`): the backup carrier and the rules scorer stand in for
 * the primary ones; a step whose retries ran out parks the order for an operator; the customer
 * mail never holds up or fails an order. An order overstaying INVENTORY_LOCKED raises one alert
 * (`sla-watchdog.ts`). Each downstream's policy: `downstreams.ts`. The query, updates
 * and search attributes: `definitions.ts`. Changes since the first version are behind
 * `patched()`, asked through `SagaChanges` (`versions.ts`).
 */
import {
  ApplicationFailure,
  CancellationScope,
  allHandlersFinished,
  condition,
  isCancellation,
  setHandler,
} from '@temporalio/workflow';
import { ApprovalGate, approvalReasons } from './approval-gate';
import { CompensationStack } from './compensation';
import {
  cancelOrderUpdate,
  decideApprovalUpdate,
  getOrderStateQuery,
  retryParkedOrderUpdate,
  type CancelRequest,
  type OrderState,
} from './definitions';
import { downstreamProxies, type DownstreamProxies } from './downstreams';
import { DEFINITIVE_PAYMENT_FAILURES, FailureType, describeFailure, rethrowIfBug } from './failures';
import { CallAlongside, ForwardSteps } from './forward-steps';
import { OrderRecorder, now } from './order-recorder';
import { OrderStatus, isTerminal } from './order-status';
import type { Carrier, FraudAssessment, OrderInput } from './order-types';
import { ParkingLot } from './parking';
import { SlaWatchdog } from './sla-watchdog';
import { Patches, SagaChanges } from './versions';

export async function orderFulfillment(input: OrderInput): Promise<OrderState> {
  const { orderId } = input;
  const changes = new SagaChanges();
  const downstream = downstreamProxies();
  const order = new OrderRecorder(input);
  const compensations = new CompensationStack(order);
  const parking = new ParkingLot(order);
  const steps = new ForwardSteps(order, parking, changes);
  const gate = new ApprovalGate(order, (context) => pageApprovers(order, downstream, context));
  const watchdog = new SlaWatchdog(order, (request) => downstream.alerts.raiseSlaAlert(request));
  // Everything before dispatch runs in this scope: a customer cancellation cancels it.
  const beforeDispatch = new CancellationScope();
  let dispatchStarted = false;
  let scoreAlongside: CallAlongside<FraudAssessment & { attempt: number }> | null = null;

  setHandler(getOrderStateQuery, () => order.state);
  setHandler(decideApprovalUpdate, gate.decide, { validator: gate.validate });
  setHandler(retryParkedOrderUpdate, parking.retryParked, { validator: parking.validate });
  setHandler(cancelOrderUpdate, (req) => cancel(order, beforeDispatch, req), {
    validator: (req: CancelRequest) => validateCancel(order, dispatchStarted, req),
  });

  order.begin(input.requestId ? `order received (request ${input.requestId})` : 'order received', {
    attributesFromStart: changes.has(Patches.attributesFromStart),
    settledStatus: changes.has(Patches.settledStatus),
  });
  try {
    await beforeDispatch.run(async () => {
      compensations.register('releaseInventory', () => downstream.undo.inventory.releaseInventory({ orderId }));
      const reserving = steps.run('reserveInventory', () =>
        downstream.inventory.reserveInventory(reservationRequest(input)),
      );
      // The score is a read: it runs alongside the reservation, and counts once the stock is locked.
      const scoring = fraudScoringRequest(input);
      if (changes.has(Patches.scoreWithReservation))
        scoreAlongside = new CallAlongside(() => downstream.fraudModel.scoreFraud(scoring));
      const reservation = await reserving;
      order.state.reservationId = reservation.reservationId;
      order.transition(OrderStatus.INVENTORY_LOCKED, `reservation ${reservation.reservationId}`, reservation.attempt);
      if (changes.has(Patches.slaWatchdog)) watchdog.start();

      const model = () => scoreAlongside?.take() ?? downstream.fraudModel.scoreFraud(scoring);
      const fraud = await steps.run('scoreFraud', model, {
        from: 'fraudModel',
        to: 'fraudRules',
        step: 'scoreFraudByRules',
        call: () => downstream.fraudRules.scoreFraudByRules(scoring),
      });
      order.state.fraud = { score: fraud.score, reasons: fraud.reasons, scorer: fraud.scorer };
      if (fraud.score >= input.policy.fraudReviewBand.high) throw order.fail('scoreFraud', fraudSuspected(fraud));
      const reasons = approvalReasons(input, order.state.fraud);
      if (reasons.length > 0) await gate.await(reasons, order.state.fraud);

      compensations.register('refundPayment', () => downstream.undo.payments.refundPayment({ orderId }));
      const charge = await steps.run('capturePayment', () => downstream.payments.capturePayment(captureRequest(input)));
      order.state.charge = { chargeId: charge.chargeId, amount: charge.amount, currency: charge.currency };
      order.transition(OrderStatus.PAYMENT_CAPTURED, `charge ${charge.chargeId}`, charge.attempt);
    });
    // A cancellation accepted in the same activation as the capture's result still wins.
    if (order.state.cancellation) throw new CancellationRequested();

    // From here on cancellation is refused: a dispatch in flight cannot be recalled.
    dispatchStarted = true;
    const { shipmentId, trackingNumber, carrier, attempt } = await CancellationScope.nonCancellable(() =>
      steps.run('dispatchShipment', () => downstream.primaryCarrier.dispatchShipment(parcel(input, 'primaryCarrier')), {
        from: 'primaryCarrier',
        to: 'backupCarrier',
        call: () => downstream.backupCarrier.dispatchShipment(parcel(input, 'backupCarrier')),
        // The primary may have shipped without answering: give that up before the backup ships.
        abandon: { step: 'voidShipment', call: () => downstream.undo.primaryCarrier.voidShipment(voidRequest(input)) },
      }),
    );
    order.state.shipment = { shipmentId, trackingNumber, carrier };
    order.transition(OrderStatus.SHIPPING_DISPATCHED, `shipment ${shipmentId} with ${carrier}`, attempt);
  } catch (err) {
    rethrowIfBug(err, CancellationRequested);
    const { status, reason } = outcomeOf(order, err);
    order.transition(OrderStatus.COMPENSATING, reason, describeFailure(err).attempt);
    for (let failed = await compensations.runPending(); failed.length > 0; failed = await compensations.runPending()) {
      await parking.parkUntilRetried(`compensation failed: ${failed.join(', ')} (${lastErrorMessage(order)})`, failed);
    }
    order.transition(status, reason);
    return finish(order, watchdog, scoreAlongside);
  }

  // The goods have left: nothing is undone any more, and a cancellation cannot stop the rest.
  await CancellationScope.nonCancellable(async () => {
    // The mail needs only the shipment: it goes out with the commit, and never holds up COMPLETED.
    const withCommit = changes.has(Patches.mailWithCommit);
    const mail = (recordFailure: boolean) =>
      order
        .step('notifyCustomer', () => downstream.notifications.notifyCustomer(confirmationMail(order.state)))
        .catch((err: unknown) => {
          rethrowIfBug(err);
          if (recordFailure) order.recordFallback('notifyCustomer', 'email', 'skipped', err);
        });
    const mailing = withCommit ? mail(true) : null;
    await steps.runToCompletion('commitInventory', () => downstream.inventory.commitInventory({ orderId }));
    // v1 mailed before COMPLETED, and let a failed mail pass unrecorded.
    const notifyFirst = !withCommit && !changes.has(Patches.notifyAfterCompletion);
    if (!notifyFirst) order.transition(OrderStatus.COMPLETED, 'shipped and stock committed');
    await (mailing ?? mail(!notifyFirst));
    if (notifyFirst) order.transition(OrderStatus.COMPLETED, 'shipped and stock committed');
  });
  return finish(order, watchdog, scoreAlongside);
}

// ---- Requests to the downstreams, built from the order -------------------------------------

const lines = (input: OrderInput) => input.items.map(({ sku, quantity }) => ({ sku, quantity }));

const reservationRequest = (input: OrderInput) => ({ orderId: input.orderId, items: lines(input) });

function fraudScoringRequest(input: OrderInput) {
  const { orderId, customer, total, currency, shippingAddress } = input;
  const { id: customerId, email } = customer;
  return {
    orderId,
    customerId,
    email,
    total,
    currency,
    country: shippingAddress.country,
    itemCount: input.items.length,
  };
}

function captureRequest({ orderId, customer, total, currency }: OrderInput) {
  return { orderId, customerId: customer.id, amount: total, currency };
}

function parcel(input: OrderInput, carrier: Carrier) {
  return { orderId: input.orderId, address: input.shippingAddress, items: lines(input), carrier };
}

function voidRequest({ orderId }: OrderInput) {
  return { orderId, carrier: 'primaryCarrier' as const };
}

function confirmationMail({ orderId, order, shipment }: OrderState) {
  const { customer, total, currency } = order;
  const data = { shipment, total, currency };
  return { orderId, customerId: customer.id, email: customer.email, template: 'order-confirmed', data };
}

// ---- How the saga ends, and what it accepts while running ----------------------------------

/** Raised when a cancellation was accepted but the forward scope had already finished. */
class CancellationRequested extends Error {
  override name = 'CancellationRequested';
}

/** A score at or above the review band is treated like the payment provider's fraud verdict. */
function fraudSuspected(fraud: FraudAssessment): ApplicationFailure {
  const { score, scorer, reasons } = fraud;
  const why = `fraud score ${score} (${scorer}) is at or above the review band: ${reasons.join('; ')}`;
  return ApplicationFailure.nonRetryable(why, FailureType.FraudSuspected);
}

/** How a failure before dispatch ends the order. */
function outcomeOf(order: OrderRecorder, err: unknown): { status: OrderStatus; reason: string } {
  const { cancellation } = order.state;
  if (isCancellation(err) || err instanceof CancellationRequested) {
    const reason = cancellation
      ? `cancelled by ${cancellation.requestedBy}: ${cancellation.reason}`
      : 'workflow cancellation requested';
    return { status: OrderStatus.CANCELLED, reason };
  }
  const { type, message } = describeFailure(err);
  if (DEFINITIVE_PAYMENT_FAILURES.includes(type)) {
    return { status: OrderStatus.TRANSACTION_REVOKED, reason: `${type}: ${message}` };
  }
  // Out of stock, an approval rejected, or a step whose retries ran out.
  return { status: OrderStatus.REJECTED, reason: `${type}: ${message}` };
}

const lastErrorMessage = (order: OrderRecorder) => order.state.lastError?.message ?? 'unknown error';

/** Cancellation update: cancels the forward scope and returns once the order has settled. */
async function cancel(
  order: OrderRecorder,
  beforeDispatch: CancellationScope,
  req: CancelRequest,
): Promise<OrderState> {
  order.state.cancellation = { reason: req.reason, requestedBy: req.requestedBy, at: now() };
  const movesBefore = order.state.transitions.length;
  beforeDispatch.cancel();
  // Settled: terminal, or parked (anew, when the order was parked already).
  const parkedAnew = () => order.status === OrderStatus.NEEDS_ATTENTION && order.state.transitions.length > movesBefore;
  await condition(() => isTerminal(order.status) || parkedAnew());
  return order.state;
}

function validateCancel(order: OrderRecorder, dispatchStarted: boolean, req: CancelRequest): void {
  const { status, orderId, cancellation, parked } = order.state;
  if (!req?.requestedBy) throw new Error('requestedBy is required');
  if (dispatchStarted) {
    throw new Error(`order ${orderId} can no longer be cancelled: the shipment has been dispatched (status ${status})`);
  }
  if (cancellation) throw new Error(`order ${orderId} is already being cancelled`);
  // A parked forward step may be given up (its compensations release the locks); a parked undo may not.
  const parkedOnUndo = status === OrderStatus.NEEDS_ATTENTION && !parked?.step;
  if (isTerminal(status) || status === OrderStatus.COMPENSATING || parkedOnUndo) {
    throw new Error(`order ${orderId} can no longer be cancelled (status ${status})`);
  }
}

async function pageApprovers(order: OrderRecorder, downstream: DownstreamProxies, context: Record<string, unknown>) {
  const { orderId, customer, policy } = order.state.order;
  const page = { orderId, customerId: customer.id, email: customer.email, approvers: policy.approvers, context };
  // A failed page is recorded (lastError) and the order keeps waiting for a decision.
  await order
    .step('pageApprovers', () => downstream.notifications.pageApprovers(page))
    .catch((err: unknown) => rethrowIfBug(err));
}

/**
 * Lets update handlers return their result, and a running SLA alert or a score nobody waits for
 * any more end, before the workflow completes (even if it was cancelled).
 */
async function finish(
  order: OrderRecorder,
  watchdog: SlaWatchdog,
  alongside: CallAlongside<unknown> | null,
): Promise<OrderState> {
  await CancellationScope.nonCancellable(async () => {
    await watchdog.settled();
    await alongside?.settled();
    await condition(allHandlersFinished);
  });
  return order.state;
}
