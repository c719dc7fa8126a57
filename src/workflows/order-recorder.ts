/**
 * Keeps the order's state (what the one query answers) and makes every status change go
 * through the state machine, the search attributes and exactly one log line. Workflow code.
 */
import { log, upsertSearchAttributes, workflowInfo } from '@temporalio/workflow';
import { describeFailure } from './failures';
import {
  CustomerIdKey,
  OrderCurrencyKey,
  OrderStatusKey,
  OrderTotalKey,
  receivedOrderState,
  type FallbackRecord,
  type OrderState,
  type OrderStep,
  type StepError,
} from './definitions';
import { OrderStatus, assertTransition } from './order-status';
import type { OrderInput } from './order-types';

/** Workflow time (deterministic: the SDK replaces Date in workflow code). */
export const now = (): string => new Date().toISOString();

export class OrderRecorder {
  readonly state: OrderState;
  private started = false;
  /** Alternative paths taken, oldest first (the same array as `state.fallbacks`). */
  readonly fallbacks: FallbackRecord[] = [];

  constructor(input: OrderInput) {
    this.state = { ...receivedOrderState(input), fallbacks: this.fallbacks };
  }

  get status(): OrderStatus {
    return this.state.status;
  }

  /** The first transition (start → RECEIVED); also tags the order for visibility queries. */
  begin(reason: string): void {
    const { order } = this.state;
    // The starter sets these at start too (see `orderSearchAttributes`); upserting them here
    // keeps orders started by any client listable.
    upsertSearchAttributes([
      { key: CustomerIdKey, value: order.customer.id },
      { key: OrderTotalKey, value: order.total },
      { key: OrderCurrencyKey, value: order.currency },
    ]);
    this.move(null, OrderStatus.RECEIVED, reason);
    this.started = true;
  }

  /** Throws IllegalTransitionError (failing the workflow task) on a move the table forbids. */
  transition(to: OrderStatus, reason: string, attempt?: number): void {
    if (!this.started) throw new Error('OrderRecorder.begin() must run before any transition');
    this.move(this.state.status, to, reason, attempt);
  }

  private move(from: OrderStatus | null, to: OrderStatus, reason: string, attempt?: number): void {
    assertTransition(from, to);
    this.state.status = to;
    this.state.transitions.push({ from, to, at: now(), reason, ...(attempt !== undefined ? { attempt } : {}) });
    upsertSearchAttributes([{ key: OrderStatusKey, value: to }]);
    // The workflow logger is replay-safe: this line is not written again when history is replayed.
    log.info('order status transition', {
      workflowId: workflowInfo().workflowId,
      orderId: this.state.orderId,
      from,
      to,
      reason,
      attempt: attempt ?? null,
    });
  }

  /** Runs one activity for `step`, recording attempts and the last error. */
  async step<T extends { attempt: number }>(step: OrderStep, run: () => Promise<T>): Promise<T> {
    this.state.currentStep = step;
    try {
      const result = await run();
      this.addAttempts(step, result.attempt);
      return result;
    } catch (err) {
      this.recordError(step, err);
      throw err;
    } finally {
      if (this.state.currentStep === step) this.state.currentStep = null;
    }
  }

  recordError(step: OrderStep, err: unknown): StepError {
    const { type, message, attempt } = describeFailure(err);
    this.addAttempts(step, attempt ?? 1);
    this.state.lastError = { step, type, message, at: now() };
    return this.state.lastError;
  }

  /** A failure the workflow itself decided on (no activity attempt): recorded, then returned to throw. */
  fail<E extends Error>(step: OrderStep, failure: E): E {
    const { type, message } = describeFailure(failure);
    this.state.lastError = { step, type, message, at: now() };
    return failure;
  }

  /** An alternative path taken instead of `from`, because of `err`: kept in the state and logged. */
  recordFallback(step: OrderStep, from: string, to: string, err: unknown): void {
    const { type, message } = describeFailure(err);
    const record: FallbackRecord = { step, from, to, reason: `${type}: ${message}`, at: now() };
    this.fallbacks.push(record);
    log.warn('order fallback', { workflowId: workflowInfo().workflowId, orderId: this.state.orderId, ...record });
  }

  recordCompensation(step: OrderStep, err?: unknown): void {
    const error = err === undefined ? undefined : describeFailure(err);
    this.state.compensations.push({
      step,
      status: error ? 'failed' : 'completed',
      at: now(),
      ...(error ? { error: { type: error.type, message: error.message } } : {}),
    });
  }

  private addAttempts(step: OrderStep, attempts: number): void {
    this.state.attempts[step] = (this.state.attempts[step] ?? 0) + attempts;
  }
}
