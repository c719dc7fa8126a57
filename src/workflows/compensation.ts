/**
 * The saga's undo list. A compensation is registered *before* its forward step runs: a step
 * that timed out after taking effect downstream is still undone, and an undo of something that
 * never happened is a no-op downstream (compensations address the forward step's idempotency key).
 */
import { CancellationScope } from '@temporalio/workflow';
import type { OrderStep } from './definitions';
import { rethrowIfBug } from './failures';
import type { OrderRecorder } from './order-recorder';

interface Entry {
  step: OrderStep;
  run: () => Promise<{ attempt: number }>;
  done: boolean;
}

export class CompensationStack {
  private readonly entries: Entry[] = [];

  constructor(private readonly order: OrderRecorder) {}

  register(step: OrderStep, run: () => Promise<{ attempt: number }>): void {
    if (this.entries.some((e) => e.step === step)) return;
    this.entries.push({ step, run, done: false });
  }

  /** Compensations not yet completed, in the order they will run (newest first). */
  get pending(): OrderStep[] {
    return this.entries
      .filter((e) => !e.done)
      .reverse()
      .map((e) => e.step);
  }

  /**
   * Runs every pending compensation, newest first, and returns the steps that still failed
   * after their retries. One failure does not stop the others: each undo is independent, and
   * an order should hold as little as possible while it waits for an operator. Non-cancellable:
   * a cancellation arriving now must not cut the undo short.
   */
  async runPending(): Promise<OrderStep[]> {
    return CancellationScope.nonCancellable(async () => {
      const failed: OrderStep[] = [];
      for (const entry of [...this.entries].reverse()) {
        if (entry.done) continue;
        try {
          await this.order.step(entry.step, entry.run);
          entry.done = true;
          this.order.recordCompensation(entry.step);
        } catch (err) {
          rethrowIfBug(err);
          this.order.recordCompensation(entry.step, err);
          failed.push(entry.step);
        }
      }
      return failed;
    });
  }
}
