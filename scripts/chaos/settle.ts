/**
 * Watching accepted orders until they settle, as an operator would: approvals given (one review
 * in three refused, to take the rejection route too), parked orders drained once nothing else
 * moves, and a bounded wait. Shared by the chaos run and the production-shape run.
 */
import type { OrderState } from '../../src/workflows/definitions';
import { OrderStatus } from '../../src/workflows/order-status';
import { isSettled, type FinalView } from './audit';
import { inBatches, type OrdersApi, type PlannedOrder } from './orders';

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class OrderWatch {
  /** The newest state read of each order. */
  readonly latest = new Map<string, OrderState>();
  private readonly decided = new Set<string>();
  private deadline = Number.POSITIVE_INFINITY;
  private drained = false;

  constructor(
    private readonly api: OrdersApi,
    private readonly accepted: ReadonlyMap<string, PlannedOrder>,
    private readonly say: (message: string) => void,
  ) {}

  /** From now on, stop once every order settled or `ms` passed (until then the watch goes on). */
  settleWithin(ms: number): void {
    this.deadline = Date.now() + ms;
  }

  /** Reads, approves and drains until `settleWithin`'s condition holds. */
  async run(): Promise<void> {
    for (;;) {
      await inBatches([...this.accepted.keys()], 16, (orderId) => this.visit(orderId));
      const states = [...this.accepted.keys()].map((id) => this.latest.get(id));
      const waiting = states.filter((s) => !s || !isSettled(s) || s.status === OrderStatus.AWAITING_APPROVAL).length;
      const parked = states.filter((s) => s?.status === OrderStatus.NEEDS_ATTENTION).length;
      const closing = Number.isFinite(this.deadline);
      if (closing && waiting === 0 && parked > 0 && !this.drained) {
        this.drained = true;
        this.say(`${parked} order(s) parked in NEEDS_ATTENTION: draining the dead letters through the API`);
        await this.api.drainDeadLetters();
        continue;
      }
      if (closing && (waiting === 0 || Date.now() > this.deadline)) return;
      await sleep(1_000);
    }
  }

  private async visit(orderId: string): Promise<void> {
    const known = this.latest.get(orderId);
    const waitsForSomeone =
      known?.status === OrderStatus.AWAITING_APPROVAL || known?.status === OrderStatus.NEEDS_ATTENTION;
    if (known && isSettled(known) && !waitsForSomeone) return;
    const state = await this.api.state(orderId);
    if (!state || state === 'missing') return;
    this.latest.set(orderId, state);
    if (state.status === OrderStatus.AWAITING_APPROVAL && !this.decided.has(orderId)) {
      this.decided.add(orderId);
      const reject = this.accepted.get(orderId)?.scenario === 'review' && orderId.endsWith('3');
      await this.api.decide(orderId, reject ? 'reject' : 'approve');
    }
  }
}

/** The last read of every order (a few tries each), for the audit. */
export async function finalViews(api: OrdersApi, orderIds: readonly string[]): Promise<Map<string, FinalView>> {
  const finals = new Map<string, FinalView>();
  await inBatches(orderIds, 16, async (orderId) => {
    for (let attempt = 0; attempt < 5; attempt++) {
      const state = await api.state(orderId);
      if (state) return void finals.set(orderId, state);
      await sleep(500);
    }
    finals.set(orderId, 'unreadable');
  });
  return finals;
}

/** How many orders ended in each status (or missing / unreadable). */
export function outcomesOf(finals: ReadonlyMap<string, FinalView>): Record<string, number> {
  const outcomes: Record<string, number> = {};
  for (const view of finals.values()) {
    const key = typeof view === 'string' ? view : view.status;
    outcomes[key] = (outcomes[key] ?? 0) + 1;
  }
  return outcomes;
}
