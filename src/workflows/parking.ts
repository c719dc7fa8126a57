/**
 * NEEDS_ATTENTION: the dead-letter queue of orders. An order waits here for an operator instead
 * of failing and losing its context; an operator's `retryParkedOrder` update resumes it where
 * it parked (`POST /orders/:id/retry`, or all at once: `POST /admin/dead-letters/drain`).
 *
 * Locks while parked (docs/resilience.md):
 *  - parked on a failing compensation: everything that *could* be undone has been undone
 *    (compensations run past a failing one); what is still held is exactly what failed to be
 *    released, and stays held until the retry succeeds or an operator resolves it downstream;
 *  - parked on a forward step whose retries ran out: the order KEEPS what it holds (stock
 *    lock, charge): the fault is in a dependency, not in the order, and the retry resumes the
 *    step under the same idempotency key. Before dispatch, a cancellation (customer or
 *    operator) is accepted while parked and releases everything through the compensations;
 *  - parked after dispatch: the stock is consumed, nothing is undone, only completed.
 * Nothing new is locked while parked.
 */
import { CancellationScope, condition } from '@temporalio/workflow';
import type { OrderState, OrderStep, RetryRequest } from './definitions';
import { now, type OrderRecorder } from './order-recorder';
import { OrderStatus, isTerminal } from './order-status';

export class ParkingLot {
  private retry: RetryRequest | null = null;
  private parks = 0;

  constructor(private readonly order: OrderRecorder) {}

  /**
   * Parks the order and waits (without limit) for an operator's retry; returns it. Parked on a
   * forward `step`, the wait belongs to the caller's scope (before dispatch a cancellation ends
   * it, and the compensations release the locks); parked on compensations it cannot be
   * cancelled: that would end the order with its locks held and nobody told.
   */
  async parkUntilRetried(
    reason: string,
    pendingCompensations: OrderStep[] = [],
    step?: OrderStep,
  ): Promise<RetryRequest> {
    const from = this.order.status;
    this.retry = null;
    this.parks += 1;
    this.order.park({ reason, from, at: now(), pendingCompensations, ...(step ? { step } : {}) });
    const retried = () => condition(() => this.retry !== null);
    try {
      await (step ? retried() : CancellationScope.nonCancellable(retried));
    } catch (err) {
      this.order.state.parked = null;
      throw err;
    }
    const retry = this.retry as RetryRequest | null;
    if (!retry) throw new Error('parked order resumed without a retry request');
    this.order.state.parked = null;
    this.order.transition(from, `operator ${retry.operator} retried${retry.reason ? `: ${retry.reason}` : ''}`);
    return retry;
  }

  /** Update validator: only a parked order can be retried, by a named operator. */
  readonly validate = (req: RetryRequest): void => {
    if (!req?.operator) throw new Error('an operator identity is required');
    if (this.order.status !== OrderStatus.NEEDS_ATTENTION || this.retry !== null) {
      throw new Error(`order ${this.order.state.orderId} is not parked (status ${this.order.status})`);
    }
  };

  /** Update handler: resumes the order and returns once it has settled again. */
  readonly retryParked = async (req: RetryRequest): Promise<OrderState> => {
    const parksBefore = this.parks;
    this.retry = req;
    await condition(
      () =>
        isTerminal(this.order.status) ||
        (this.order.status === OrderStatus.NEEDS_ATTENTION && this.parks > parksBefore),
    );
    return this.order.state;
  };
}
