/**
 * How a forward step of the saga meets a sick dependency:
 *  - a step with an alternative (backup carrier, rules scorer) takes it when the primary's
 *    circuit breaker is open or its retries ran out, and records the switch (`state.fallbacks`);
 *    when the primary may have acted without answering, that is given up first (`abandon`);
 *  - a step whose retries ran out (alternative included) parks the order in NEEDS_ATTENTION
 *    and runs again when an operator retries it, from where it stopped: a step that left its
 *    primary never goes back to it;
 *  - a business rejection or a cancellation goes on to the saga, which compensates.
 * Orders started before these paths existed keep their old route (`versions.ts`).
 */
import { ActivityFailure, CancellationScope, isCancellation } from '@temporalio/workflow';
import type { OrderStep } from './definitions';
import { FailureType, NON_RETRYABLE_FAILURES, describeFailure, rethrowIfBug } from './failures';
import type { OrderRecorder } from './order-recorder';
import type { ParkingLot } from './parking';
import { Patches, type SagaChanges } from './versions';

type Call<T> = () => Promise<T>;

export interface Alternative<T> {
  /** What is given up (e.g. "primaryCarrier") and what is used instead (e.g. "backupCarrier"). */
  from: string;
  to: string;
  /** The step the alternative runs as (its attempts and idempotency key); defaults to the step's own. */
  step?: OrderStep;
  call: Call<T>;
  /**
   * Gives up what the primary may have done under the step's key (a carrier's void) before the
   * alternative runs, so both cannot take effect: a primary that received the request but never
   * answered must not ship too. When it cannot be done the order parks instead of risking it.
   */
  abandon?: { step: OrderStep; call: Call<{ attempt: number }> };
}

/**
 * Whether a request of this order may have reached the primary. Only a breaker that was
 * already open on the very first attempt proves nothing left the worker; any other failure
 * (a timeout above all) may hide an effect.
 */
export function mayHaveReachedPrimary(err: unknown): boolean {
  const { type, attempt } = describeFailure(err);
  return !(type === FailureType.CircuitOpen && attempt === 1);
}

/**
 * A failure that says "the dependency did not answer in time", not "no": retries exhausted on
 * a transient error, or an open breaker. Business rejections and cancellations are not.
 */
export function dependencyGaveOut(err: unknown): boolean {
  if (!(err instanceof ActivityFailure) || isCancellation(err)) return false;
  const { type } = describeFailure(err);
  return !NON_RETRYABLE_FAILURES.includes(type) && type !== FailureType.ApprovalRejected;
}

export class ForwardSteps {
  private readonly ways = new Map<OrderStep, Way>();

  constructor(
    private readonly order: OrderRecorder,
    private readonly parking: ParkingLot,
    private readonly changes: SagaChanges,
  ) {}

  /** Runs `step` (then its alternative, if any); parks when the dependency gave out, and runs again on retry. */
  async run<T extends { attempt: number }>(step: OrderStep, call: Call<T>, alternative?: Alternative<T>): Promise<T> {
    for (;;) {
      try {
        return await this.attempt(step, call, alternative);
      } catch (err) {
        rethrowIfBug(err);
        if (!dependencyGaveOut(err) || !this.changes.has(Patches.parkOnExhaustedRetries)) throw err;
        const { type, message } = describeFailure(err);
        await this.parking.parkUntilRetried(`${step}: retries ran out (${type}: ${message})`, [], step);
      }
    }
  }

  /** After dispatch nothing may be undone: any failure parks the order until an operator retries. */
  async runToCompletion<T extends { attempt: number }>(step: OrderStep, call: Call<T>): Promise<T> {
    for (;;) {
      try {
        return await this.order.step(step, call);
      } catch (err) {
        rethrowIfBug(err);
        await this.parking.parkUntilRetried(`${step} failed after dispatch: ${describeFailure(err).message}`, [], step);
      }
    }
  }

  private async attempt<T extends { attempt: number }>(
    step: OrderStep,
    call: Call<T>,
    alternative?: Alternative<T>,
  ): Promise<T> {
    let way = this.ways.get(step) ?? { path: 'primary' };
    // Orders started before this rule went back to the primary on an operator's retry.
    if (way.path !== 'primary' && !this.changes.has(Patches.stayOnAlternative)) way = { path: 'primary' };
    if (way.path === 'primary') {
      try {
        return await this.order.step(step, call);
      } catch (err) {
        if (!alternative || !dependencyGaveOut(err) || !this.changes.has(Patches.fallbackPaths)) throw err;
        way = { path: alternative.abandon && mayHaveReachedPrimary(err) ? 'abandoning' : 'alternative', cause: err };
        this.ways.set(step, way);
      }
    }
    if (!alternative) throw new Error(`${step} left its primary path without an alternative`);
    if (way.path === 'abandoning' && alternative.abandon) {
      // Run again on every retry until it answers: giving up is idempotent, and final downstream.
      await this.order.step(alternative.abandon.step, alternative.abandon.call);
      way = { path: 'alternative', cause: way.cause };
      this.ways.set(step, way);
    }
    if (!way.recorded) {
      this.order.recordFallback(step, alternative.from, alternative.to, way.cause);
      this.ways.set(step, { ...way, recorded: true });
    }
    return this.order.step(alternative.step ?? step, alternative.call);
  }
}

/**
 * How far a step with an alternative has moved from its primary; it never moves back. Once the
 * primary was passed over, or its request given up (`abandoning`, then `alternative`), a retry
 * resumes there: going back could ship what was voided, or ship twice.
 */
interface Way {
  path: 'primary' | 'abandoning' | 'alternative';
  /** The failure that made the step leave its primary. */
  cause?: unknown;
  /** Whether the switch is in `state.fallbacks` yet. */
  recorded?: boolean;
}

/**
 * A call started alongside another step, its result used once that step is done (the fraud score
 * beside the reservation). It runs outside the order's cancellation scope, so it is never asked to
 * stop and no cancel request can cross its answer: it suits a read with nothing to undo. Whoever
 * waits for it stops waiting when their own scope is cancelled, and the order closes only once it
 * has ended (`settled`), so no activity outlives its order.
 */
export class CallAlongside<T> {
  private pending: Promise<T> | null;
  private readonly ended: Promise<void>;

  constructor(start: () => Promise<T>) {
    const call = CancellationScope.nonCancellable(start);
    // Until someone takes it, its failure is nobody's error.
    this.ended = call.then(
      () => undefined,
      () => undefined,
    );
    this.pending = call;
  }

  /** The call, to the first who asks (its failure included); null afterwards, so a retried step calls afresh. */
  take(): Promise<T> | null {
    const call = this.pending;
    this.pending = null;
    return call && Promise.race([call, CancellationScope.current().cancelRequested]);
  }

  /** Resolves once the call has ended, whatever its outcome. */
  settled(): Promise<void> {
    return this.ended;
  }
}
