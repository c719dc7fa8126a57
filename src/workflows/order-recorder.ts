/**
 * Keeps the order's state (what the one query answers) and makes every status change go
 * through the state machine, the search attributes and exactly one log line. Every change also
 * refreshes the order's current details (Markdown, shown by the Web UI and `temporal workflow
 * metadata`) and feeds the order metrics (`ORDER_METRICS`). Workflow code.
 */
import {
  CancellationScope,
  isCancellation,
  log,
  metricMeter,
  setCurrentDetails,
  sleep,
  upsertSearchAttributes,
  workflowInfo,
} from '@temporalio/workflow';
import type { SearchAttributePair } from '@temporalio/common';
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
  type ParkedInfo,
  type SlaBreach,
  type StepError,
} from './definitions';
import { OrderStatus, assertTransition } from './order-status';
import { oneLine, type OrderInput } from './order-types';

/** Workflow time (deterministic: the SDK replaces Date in workflow code). */
export const now = (): string => new Date().toISOString();

/**
 * The metrics the workflow emits, through the worker's runtime meter (its Prometheus or OTel
 * exporter; nothing without one). The SDK drops them while replaying, so each is counted once.
 * The SDK adds the labels namespace, taskQueue and workflowType. On core's Prometheus endpoint
 * they keep these bare names (no `temporal_` prefix); counters get `_total` with
 * `countersTotalSuffix`, the histogram `_seconds` with `unitSuffix`.
 */
export const ORDER_METRICS = {
  /** Counter; labels `from` (a status, or `none` for the first) and `to`. */
  transitions: 'order_transitions',
  /** Histogram, seconds of workflow time spent in a status; label `status`; recorded when the order leaves it. */
  statusDuration: 'order_status_duration',
  /** Counter; label `status` (the status overstayed); at most one per order. */
  slaBreaches: 'order_sla_breaches',
  /** Counter, one per park in NEEDS_ATTENTION; label `step` (the forward step, or the failed compensations). */
  parked: 'order_parked',
  /** Counter, one per alternative path taken; label `step`. */
  fallbacks: 'order_fallbacks',
  /** Counter, one per compensation run; labels `action` (the undo step) and `outcome` (completed | failed). */
  compensations: 'order_compensations',
} as const;

function orderMetrics() {
  const counter = (name: string, description: string) => metricMeter.createCounter(name, undefined, description);
  return {
    transitions: counter(ORDER_METRICS.transitions, 'Order status transitions'),
    statusDuration: metricMeter.createHistogram(
      ORDER_METRICS.statusDuration,
      'float',
      // Core's own durations use this unit too: with the exporter's unitSuffix the name ends in _seconds.
      'seconds',
      'Workflow time an order spent in a status, recorded when it leaves the status',
    ),
    slaBreaches: counter(ORDER_METRICS.slaBreaches, 'Orders that overstayed a status SLA'),
    parked: counter(ORDER_METRICS.parked, 'Orders parked in NEEDS_ATTENTION for an operator'),
    fallbacks: counter(ORDER_METRICS.fallbacks, 'Alternative paths taken by orders (backup carrier, rules scorer, …)'),
    compensations: counter(ORDER_METRICS.compensations, 'Compensations run by orders, by outcome'),
  };
}

/**
 * How long an order stays in a status it passes through before the status is upserted
 * (`settled-status`). Each upsert is a history event and a visibility write, the dearest server
 * work of an order (docs/performance.md); a status held for less is seen in the order's query and
 * current details only. Shorter than the first retry delay: an order held up by a sick dependency
 * is listed under its status by the time its first retry runs.
 */
export const STATUS_SETTLE = '1 second';

/** Statuses operators list orders by to act on them: leaving one is listed at once. */
const ACTED_ON: readonly OrderStatus[] = [OrderStatus.AWAITING_APPROVAL, OrderStatus.NEEDS_ATTENTION];

/** Statuses an order passes through, a forward step or an undo running in each. */
const PASSING: readonly OrderStatus[] = [
  OrderStatus.INVENTORY_LOCKED,
  OrderStatus.PAYMENT_CAPTURED,
  OrderStatus.SHIPPING_DISPATCHED,
  OrderStatus.COMPENSATING,
];

/** What the SLA watchdog is waiting for: shown in the current details until the order leaves `status`. */
export interface SlaWatch {
  status: OrderStatus;
  limit: string;
  dueAt: string;
}

export class OrderRecorder {
  readonly state: OrderState;
  private started = false;
  /** Alternative paths taken, oldest first (the same array as `state.fallbacks`). */
  readonly fallbacks: FallbackRecord[] = [];
  private readonly metrics = orderMetrics();
  private slaWatch: SlaWatch | null = null;
  /** The `OrderStatus` search attribute as last set (by the starter or an upsert). */
  private listedStatus: OrderStatus | null = null;
  /** The wait before a passing status is listed, while one runs. */
  private settling: CancellationScope | null = null;
  private settledStatus = false;

  constructor(input: OrderInput) {
    this.state = { ...receivedOrderState(input), fallbacks: this.fallbacks };
  }

  get status(): OrderStatus {
    return this.state.status;
  }

  /**
   * The first transition (start → RECEIVED); also tags the order for visibility queries. The
   * starter sets the same search attributes when it starts the order (`orderSearchAttributes`);
   * orders started with `attributes-from-start` upsert only those it did not set (a client that
   * set none), earlier ones upserted them all again.
   */
  begin(reason: string, opts: { attributesFromStart: boolean; settledStatus: boolean }): void {
    const { order } = this.state;
    const tags: SearchAttributePair[] = [
      { key: CustomerIdKey, value: order.customer.id },
      { key: OrderTotalKey, value: order.total },
      { key: OrderCurrencyKey, value: order.currency },
    ];
    const atStart = workflowInfo().typedSearchAttributes;
    const setAtStart = ({ key, value }: SearchAttributePair) => opts.attributesFromStart && atStart.get(key) === value;
    const missing = tags.filter((tag) => !setAtStart(tag));
    if (missing.length > 0) upsertSearchAttributes(missing);
    const received = { key: OrderStatusKey, value: OrderStatus.RECEIVED } as const;
    if (setAtStart(received)) this.listedStatus = OrderStatus.RECEIVED;
    this.settledStatus = opts.settledStatus;
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
    const entered = this.state.transitions.at(-1);
    if (from !== null && entered) {
      this.metrics.statusDuration.record(Math.max(0, Date.now() - Date.parse(entered.at)) / 1000, { status: from });
    }
    this.metrics.transitions.add(1, { from: from ?? 'none', to });
    this.state.status = to;
    this.state.transitions.push({ from, to, at: now(), reason, ...(attempt !== undefined ? { attempt } : {}) });
    this.list(to);
    // The workflow logger is replay-safe: this line is not written again when history is replayed.
    log.info('order status transition', {
      workflowId: workflowInfo().workflowId,
      orderId: this.state.orderId,
      from,
      to,
      reason,
      attempt: attempt ?? null,
    });
    this.publish();
  }

  /**
   * Sets the `OrderStatus` search attribute to `status`: at once, or, for a status the order
   * passes through, once it has stayed there for `STATUS_SETTLE`. Leaving a status an operator
   * acts on (AWAITING_APPROVAL, NEEDS_ATTENTION) is listed at once, so the order leaves that list.
   */
  private list(status: OrderStatus): void {
    // Cancelled at the transition itself, not when a condition notices at the end of the
    // activation: the command then has one place in the history, whatever else (an update's
    // completion, an interceptor's awaits) finishes in the same activation.
    this.settling?.cancel();
    this.settling = null;
    const listed = this.listedStatus;
    if (status === listed) return;
    const settle = this.settledStatus && PASSING.includes(status) && listed !== null && !ACTED_ON.includes(listed);
    if (!settle) return this.upsertStatus(status);
    // Not cancelled with the saga's scopes: only the order's next status ends the wait.
    void CancellationScope.nonCancellable(async () => {
      const settling = new CancellationScope();
      this.settling = settling;
      const summary = `${status}: listed in visibility if the order is still there after ${STATUS_SETTLE}`;
      await settling.run(() => sleep(STATUS_SETTLE, { summary }));
      if (this.state.status === status) this.upsertStatus(status);
    }).catch((err: unknown) => {
      if (!isCancellation(err)) throw err;
    });
  }

  private upsertStatus(status: OrderStatus): void {
    upsertSearchAttributes([{ key: OrderStatusKey, value: status }]);
    this.listedStatus = status;
  }

  /** Runs one activity for `step`, recording attempts and the last error. */
  async step<T extends { attempt: number }>(step: OrderStep, run: () => Promise<T>): Promise<T> {
    this.setCurrentStep(step);
    try {
      const result = await run();
      this.addAttempts(step, result.attempt);
      return result;
    } catch (err) {
      this.recordError(step, err);
      throw err;
    } finally {
      if (this.state.currentStep === step) this.setCurrentStep(null);
    }
  }

  /** The step the order is busy with (an activity, or a wait such as `awaitApproval`). */
  setCurrentStep(step: OrderStep | null): void {
    this.state.currentStep = step;
    this.publish();
  }

  recordError(step: OrderStep, err: unknown): StepError {
    const { type, message, attempt } = describeFailure(err);
    this.addAttempts(step, attempt ?? 1);
    this.state.lastError = { step, type, message, at: now() };
    this.publish();
    return this.state.lastError;
  }

  /** A failure the workflow itself decided on (no activity attempt): recorded, then returned to throw. */
  fail<E extends Error>(step: OrderStep, failure: E): E {
    const { type, message } = describeFailure(failure);
    this.state.lastError = { step, type, message, at: now() };
    this.publish();
    return failure;
  }

  /** An alternative path taken instead of `from`, because of `err`: kept in the state and logged. */
  recordFallback(step: OrderStep, from: string, to: string, err: unknown): void {
    const { type, message } = describeFailure(err);
    const record: FallbackRecord = { step, from, to, reason: `${type}: ${message}`, at: now() };
    this.fallbacks.push(record);
    this.metrics.fallbacks.add(1, { step });
    this.publish();
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
    this.metrics.compensations.add(1, { action: step, outcome: error ? 'failed' : 'completed' });
    this.publish();
  }

  /** Parks the order in NEEDS_ATTENTION for an operator (see `parking.ts`). */
  park(parked: ParkedInfo): void {
    this.state.parked = parked;
    this.metrics.parked.add(1, { step: parked.step ?? parked.pendingCompensations.join(',') });
    this.transition(OrderStatus.NEEDS_ATTENTION, parked.reason);
  }

  /** The SLA watchdog's verdict; the first one recorded is the order's (one) breach. */
  recordSla(sla: SlaBreach): void {
    if (!this.state.sla) this.metrics.slaBreaches.add(1, { status: sla.status });
    this.state.sla = sla;
    this.publish();
  }

  /** What the SLA watchdog waits for now (null: nothing). */
  watchSla(watch: SlaWatch | null): void {
    this.slaWatch = watch;
    this.publish();
  }

  /** Refreshes the current details; cheap, and not a command, so replay is unaffected. */
  private publish(): void {
    setCurrentDetails(currentDetails(this.state, this.slaWatch));
  }

  private addAttempts(step: OrderStep, attempts: number): void {
    this.state.attempts[step] = (this.state.attempts[step] ?? 0) + attempts;
  }
}

const DETAIL_TEXT = 200;
const COMPENSATIONS_SHOWN = 6;
const prose = (text: string) => {
  const line = oneLine(text);
  return line.length > DETAIL_TEXT ? `${line.slice(0, DETAIL_TEXT - 1)}…` : line;
};

/**
 * The order's current details, as Markdown for the Web UI (`temporal workflow metadata` prints
 * it raw): the status and why, then one line per fact that matters now. Pure.
 */
export function currentDetails(state: OrderState, slaWatch: SlaWatch | null = null): string {
  const { status, transitions, currentStep, attempts, lastError, parked, approval, sla } = state;
  const entered = transitions.at(-1);
  const head = `**${status}**${entered ? ` since ${entered.at}: ${prose(entered.reason)}` : ''}`;
  const facts: string[] = [];
  if (currentStep) {
    // Retries in flight are Temporal's (the pending activity shows them); these are the finished ones.
    const earlier = attempts[currentStep] ?? 0;
    facts.push(`**Step:** \`${currentStep}\` running${earlier > 0 ? ` (${earlier} earlier attempts)` : ''}`);
  }
  const tried = Object.entries(attempts).map(([step, n]) => `${step} ${n}`);
  if (tried.length > 0) facts.push(`**Attempts:** ${tried.join(', ')}`);
  if (lastError) {
    facts.push(
      `**Last error:** \`${lastError.step}\` ${lastError.type}: ${prose(lastError.message)} (${lastError.at})`,
    );
  }
  if (parked && status === OrderStatus.NEEDS_ATTENTION) {
    const on = parked.step ? `step \`${parked.step}\`` : `compensations ${parked.pendingCompensations.join(', ')}`;
    facts.push(`**Parked** on ${on}, waiting for an operator's retry: ${prose(parked.reason)}`);
  }
  if (approval && !approval.decision && status === OrderStatus.AWAITING_APPROVAL) {
    // The reasons are the status line's already.
    const paged = approval.escalatedAt ? `; approvers paged at ${approval.escalatedAt}` : '; approvers not paged yet';
    facts.push(`**Approval** requested at ${approval.requestedAt}${paged}`);
  }
  if (sla) {
    const alert =
      sla.alert.status === 'failed' ? `alert failed: ${prose(sla.alert.error ?? '')}` : `alert ${sla.alert.status}`;
    facts.push(`**SLA breached:** ${sla.status} longer than ${sla.limit} (entered ${sla.enteredAt}); ${alert}`);
  } else if (slaWatch && slaWatch.status === status) {
    facts.push(`**SLA:** at most ${slaWatch.limit} in ${slaWatch.status}, due ${slaWatch.dueAt}`);
  }
  const fallbacks = state.fallbacks ?? [];
  if (fallbacks.length > 0)
    facts.push(`**Fallbacks:** ${fallbacks.map((f) => `${f.step} ${f.from} → ${f.to}`).join(', ')}`);
  if (state.compensations.length > 0) {
    // The latest runs only: an undo retried by operators again and again must not bury the rest.
    const runs = state.compensations.slice(-COMPENSATIONS_SHOWN).map((c) => `${c.step} ${c.status}`);
    const earlier = state.compensations.length - runs.length;
    facts.push(`**Compensations:** ${earlier > 0 ? `(${earlier} earlier) ` : ''}${runs.join(', ')}`);
  }
  // A blank line, then a list: the Web UI's Markdown keeps one fact per line.
  return facts.length > 0 ? [head, '', ...facts.map((f) => `- ${f}`)].join('\n') : head;
}
