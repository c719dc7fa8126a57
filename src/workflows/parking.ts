/**
 * NEEDS_ATTENTION: where an order waits for an operator instead of failing and losing its
 * context. An operator's `retryParkedOrder` update resumes it where it parked.
 *
 * Locks while parked: everything that *could* be undone has been undone before parking
 * (compensations run past a failing one), and nothing new is locked while parked; what is still
 * held is exactly what failed to be released, and stays held until the retry succeeds or an
 * operator resolves it downstream. An order parked after dispatch keeps its (consumed) stock.
 */
import { CancellationScope, condition } from '@temporalio/workflow';
import type { OrderState, OrderStep, RetryRequest } from './definitions';
import { isTerminal } from './order-state-machine';
import { now, type OrderRecorder } from './order-recorder';
import { OrderStatus } from './order-status';

export class ParkingLot {
  private retry: RetryRequest | null = null;
  private parks = 0;

  constructor(private readonly order: OrderRecorder) {}

  /** Parks the order and waits (without limit) for an operator's retry; returns it. */
  async parkUntilRetried(reason: string, pendingCompensations: OrderStep[] = []): Promise<RetryRequest> {
    const from = this.order.status;
    this.retry = null;
    this.parks += 1;
    this.order.state.parked = { reason, from, at: now(), pendingCompensations };
    this.order.transition(OrderStatus.NEEDS_ATTENTION, reason);
    // Not cancellable: cancelling would end the order with its locks held and nobody told.
    await CancellationScope.nonCancellable(() => condition(() => this.retry !== null));
    const retry = this.retry as RetryRequest | null;
    if (!retry) throw new Error('parked order resumed without a retry request');
    this.order.state.parked = null;
    this.order.transition(from, `operator ${retry.operator} retried${retry.reason ? `: ${retry.reason}` : ''}`);
    return retry;
  }

  /** Update validator: only a parked order can be retried, by a named operator. */
  validate(req: RetryRequest): void {
    if (!req?.operator) throw new Error('an operator identity is required');
    if (this.order.status !== OrderStatus.NEEDS_ATTENTION || this.retry !== null) {
      throw new Error(`order ${this.order.state.orderId} is not parked (status ${this.order.status})`);
    }
  }

  /** Update handler: resumes the order and returns once it has settled again. */
  async retryParked(req: RetryRequest): Promise<OrderState> {
    const parksBefore = this.parks;
    this.retry = req;
    await condition(() => isTerminal(this.order.status) || (this.order.status === OrderStatus.NEEDS_ATTENTION && this.parks > parksBefore));
    return this.order.state;
  }
}
