/**
 * The SLA watchdog: an order that stays INVENTORY_LOCKED longer than its policy's
 * `inventoryLockedSla` raises ONE high-priority alert (an activity posting the full context),
 * and carries on. Runs beside the saga from the first INVENTORY_LOCKED; a later stay (after an
 * approval) is watched again until an alert has been raised. "Once" holds across replays and
 * retries: the workflow remembers it alerted (`state.sla`), and the alert's idempotency key
 * (`<order id>:raiseSlaAlert`) makes a retried post the same alert.
 */
import { CancellationScope, condition, isCancellation, log, workflowInfo } from '@temporalio/workflow';
import { describeFailure, rethrowIfBug } from './failures';
import { now, type OrderRecorder } from './order-recorder';
import { OrderStatus, isTerminal } from './order-status';
import { DEFAULT_INVENTORY_LOCKED_SLA, durationMs, type SlaAlertRequest } from './order-types';

type RaiseAlert = (request: SlaAlertRequest) => Promise<{ alertId: string | null; delivered: boolean }>;

const WATCHED = OrderStatus.INVENTORY_LOCKED;

export class SlaWatchdog {
  private watching: Promise<void> | null = null;

  constructor(
    private readonly order: OrderRecorder,
    private readonly raise: RaiseAlert,
  ) {}

  /** Starts watching (once per order); call right after the order entered INVENTORY_LOCKED. */
  start(): void {
    this.watching ??= this.watch();
  }

  /** Resolves once no alert is in flight (the order does not close under a running alert). */
  async settled(): Promise<void> {
    await this.watching;
  }

  private async watch(): Promise<void> {
    const limit = this.order.state.order.policy.inventoryLockedSla ?? DEFAULT_INVENTORY_LOCKED_SLA;
    const limitMs = durationMs(limit);
    const watched = () => this.order.status === WATCHED;
    try {
      for (;;) {
        await condition(() => watched() || isTerminal(this.order.status));
        if (isTerminal(this.order.status)) return;
        const enteredAt = this.enteredAt();
        this.order.watchSla({ status: WATCHED, limit, dueAt: new Date(enteredAt + limitMs).toISOString() });
        const summary = `SLA watchdog: one alert if the order is still ${WATCHED} after ${limit}`;
        const left = await condition(() => !watched(), Math.max(1, enteredAt + limitMs - Date.now()), { summary });
        this.order.watchSla(null);
        if (!left) return await this.alert(limit, enteredAt);
      }
    } catch (err) {
      // The workflow was cancelled while watching: nothing to alert about any more.
      if (!isCancellation(err)) throw err;
    }
  }

  /** Workflow time at which the order last entered the watched status. */
  private enteredAt(): number {
    const entry = [...this.order.state.transitions].reverse().find((t) => t.to === WATCHED);
    return entry ? Date.parse(entry.at) : Date.now();
  }

  private async alert(limit: string, enteredAt: number): Promise<void> {
    const { state } = this.order;
    const breach = {
      status: WATCHED,
      limit,
      enteredAt: new Date(enteredAt).toISOString(),
      breachedAt: now(),
      alert: { status: 'pending' as const },
    };
    this.order.recordSla(breach);
    const request: SlaAlertRequest = {
      orderId: state.orderId,
      customerId: state.order.customer.id,
      status: state.status,
      enteredStateAt: breach.enteredAt,
      timeInStateMs: Date.now() - enteredAt,
      limit,
      lastError: state.lastError,
    };
    log.error('order SLA breached', { workflowId: workflowInfo().workflowId, ...request });
    try {
      // The alert runs to the end even if the order is cancelled meanwhile.
      const { alertId, delivered } = await CancellationScope.nonCancellable(() => this.raise(request));
      this.order.recordSla({ ...breach, alert: { status: delivered ? 'sent' : 'logged', alertId } });
    } catch (err) {
      rethrowIfBug(err);
      this.order.recordSla({ ...breach, alert: { status: 'failed', error: describeFailure(err).message } });
    }
  }
}
