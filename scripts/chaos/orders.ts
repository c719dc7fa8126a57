/**
 * The orders of a chaos run and the API calls that move them: a deterministic mix of
 * scenarios (mostly orders that should complete, some declines, rejections and orders needing
 * an approval, which the run gives through the API), signed submissions with Idempotency-Keys
 * (repeated on 503 or a dropped connection: the key makes that safe), reads and approvals.
 * Every request has a timeout and every retry loop a bound.
 */
import { randomUUID } from 'node:crypto';
import { SIGNATURE_HEADER, signRequest } from '../../src/api/signing';
import type { OrderState } from '../../src/workflows/definitions';
import type { OrderRequest } from '../../src/workflows/order-types';
import type { Credentials } from './stack';

export const SCENARIOS = [
  'happy',
  'declined',
  'insufficient-funds',
  'approval',
  'review',
  'out-of-stock',
  'undeliverable',
] as const;
export type Scenario = (typeof SCENARIOS)[number];

/** Share of each scenario, in percent. */
const MIX: Record<Scenario, number> = {
  happy: 72,
  declined: 6,
  'insufficient-funds': 4,
  approval: 6,
  review: 4,
  'out-of-stock': 4,
  undeliverable: 4,
};

/** SKUs the run sets a large stock of before it starts (so only `out-of-stock` runs out). */
export const STOCKED_SKUS = ['SKU-MUG-001', 'SKU-TEE-002', 'SKU-BOOK-003'] as const;
const OUT_OF_STOCK_SKU = 'SKU-RARE-000';
/** Above the API's default approval threshold (100 000 minor units). */
const ABOVE_APPROVAL_THRESHOLD = 150_000;

export interface PlannedOrder {
  key: string;
  scenario: Scenario;
  request: OrderRequest;
}

/** A small seeded generator: the same seed gives the same mix, in the same order. */
export function seededRandom(seed: number): () => number {
  let s = seed >>> 0 || 1;
  return () => {
    s ^= s << 13;
    s ^= s >>> 17;
    s ^= s << 5;
    return (s >>> 0) / 2 ** 32;
  };
}

function pick(random: () => number): Scenario {
  let roll = random() * 100;
  for (const scenario of SCENARIOS) {
    roll -= MIX[scenario];
    if (roll < 0) return scenario;
  }
  return 'happy';
}

/**
 * `prefix` names the run in keys and customer ids (`chaos-…`), so its orders are easy to find in
 * the Web UI. `only` plans every order as that one scenario instead of the mix (the benchmark's
 * happy-path orders).
 */
export function planOrders(count: number, seed: number, prefix = 'chaos', only?: Scenario): PlannedOrder[] {
  const random = seededRandom(seed);
  const run = randomUUID().slice(0, 8);
  return Array.from({ length: count }, (_, i) => {
    // One of each scenario first, so even a short run takes every route.
    const scenario = only ?? (i < SCENARIOS.length ? SCENARIOS[i]! : pick(random));
    const sku = STOCKED_SKUS[Math.floor(random() * STOCKED_SKUS.length)]!;
    const request: OrderRequest = {
      customer: { id: `cust-${prefix}-${i}`, email: `buyer${i}@example.com` },
      items: [{ sku, quantity: 1 + Math.floor(random() * 3), unitPrice: 1_000 + Math.floor(random() * 4_000) }],
      currency: 'EUR',
      shippingAddress: {
        name: 'Chaos Buyer',
        line1: `${i} Fault Lane`,
        city: 'Lyon',
        postalCode: '69001',
        country: 'FR',
      },
    };
    switch (scenario) {
      case 'declined':
        request.customer.id = `cust-declined-${i}`;
        break;
      case 'insufficient-funds':
        request.customer.id = `cust-nofunds-${i}`;
        break;
      case 'approval':
        request.items = [{ sku, quantity: 1, unitPrice: ABOVE_APPROVAL_THRESHOLD }];
        break;
      case 'review':
        request.customer.email = `buyer${i}@review.test`;
        break;
      case 'out-of-stock':
        request.items = [{ sku: OUT_OF_STOCK_SKU, quantity: 1, unitPrice: 999 }];
        break;
      case 'undeliverable':
        request.shippingAddress.postalCode = '00000';
        break;
      case 'happy':
        break;
    }
    return { key: `${prefix}-${run}-${String(i).padStart(4, '0')}`, scenario, request };
  });
}

const sleep = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

export class OrdersApi {
  constructor(
    private readonly baseUrl: string,
    private readonly credentials: Credentials,
  ) {}

  private async send(
    method: string,
    path: string,
    headers: Record<string, string>,
    body?: string,
  ): Promise<{ status: number; body: unknown } | null> {
    try {
      const res = await fetch(`${this.baseUrl}${path}`, {
        method,
        headers,
        ...(body === undefined ? {} : { body }),
        signal: AbortSignal.timeout(30_000),
      });
      const text = await res.text();
      let parsed: unknown = text;
      try {
        parsed = JSON.parse(text);
      } catch {
        // not JSON
      }
      return { status: res.status, body: parsed };
    } catch {
      return null; // refused, reset or timed out
    }
  }

  /**
   * Submits one order; on 503 or no answer, submits it again with the same key (the API
   * answers the original order). Returns the order id once accepted (202 or 200), or null.
   */
  async submit(order: PlannedOrder, attempts = 8): Promise<{ orderId: string | null; lastStatus: number | null }> {
    const body = JSON.stringify(order.request);
    let lastStatus: number | null = null;
    for (let attempt = 1; attempt <= attempts; attempt++) {
      // Signed afresh each time: the signature's timestamp has a tolerance window.
      const headers = {
        'Content-Type': 'application/json',
        'Idempotency-Key': order.key,
        [SIGNATURE_HEADER]: signRequest(
          { method: 'POST', path: '/orders', idempotencyKey: order.key, body },
          this.credentials.signingSecret,
        ),
      };
      const res = await this.send('POST', '/orders', headers, body);
      lastStatus = res?.status ?? null;
      if (res && (res.status === 202 || res.status === 200))
        return { orderId: (res.body as { orderId: string }).orderId, lastStatus };
      if (res && res.status !== 503) return { orderId: null, lastStatus };
      await sleep(Math.min(8_000, 250 * 2 ** attempt));
    }
    return { orderId: null, lastStatus };
  }

  /** The order's state; `missing` when the API says it does not exist; null when it could not be read now. */
  async state(orderId: string): Promise<OrderState | 'missing' | null> {
    const res = await this.send('GET', `/orders/${encodeURIComponent(orderId)}`, {
      Authorization: `Bearer ${this.credentials.operatorToken}`,
    });
    // Read from Temporal's records (no worker answered in time) some fields may be missing: not read now.
    if (res?.status === 200)
      return ((res.body as { missing?: unknown[] }).missing?.length ?? 0) > 0 ? null : (res.body as OrderState);
    if (res?.status === 404) return 'missing';
    return null;
  }

  async decide(orderId: string, decision: 'approve' | 'reject'): Promise<number | null> {
    const body = JSON.stringify({ decision, comment: 'chaos run' });
    const res = await this.send(
      'POST',
      `/orders/${encodeURIComponent(orderId)}/approval`,
      { 'Content-Type': 'application/json', Authorization: `Bearer ${this.credentials.approverToken}` },
      body,
    );
    return res?.status ?? null;
  }

  /** Retries every order parked in NEEDS_ATTENTION; returns how many were retried, or null. */
  async drainDeadLetters(): Promise<number | null> {
    const body = JSON.stringify({ reason: 'chaos run: faults are over' });
    const res = await this.send(
      'POST',
      '/admin/dead-letters/drain',
      { 'Content-Type': 'application/json', Authorization: `Bearer ${this.credentials.operatorToken}` },
      body,
    );
    return res?.status === 200 ? ((res.body as { retried?: number }).retried ?? 0) : null;
  }
}

/** Runs `task` over `items` with at most `limit` at a time. */
export async function inBatches<T>(
  items: readonly T[],
  limit: number,
  task: (item: T, index: number) => Promise<void>,
): Promise<void> {
  let next = 0;
  const lane = async () => {
    while (next < items.length) {
      const index = next++;
      await task(items[index]!, index);
    }
  };
  await Promise.all(Array.from({ length: Math.min(limit, items.length) }, lane));
}

/** What a steady submission ended with: the accepted orders by id, and the refusals by last HTTP status. */
export interface Submitted {
  accepted: Map<string, PlannedOrder>;
  refused: Record<string, number>;
}

/**
 * Submits `plan` at `rate` orders per second from `t0` (16 at most in flight), filling `into`
 * as answers come, so watchers see each order as soon as it is accepted.
 */
export async function submitSteadily(
  api: OrdersApi,
  plan: readonly PlannedOrder[],
  rate: number,
  t0: number,
  into: Submitted,
): Promise<void> {
  await inBatches(plan, 16, async (order, i) => {
    await sleep(Math.max(0, t0 + (i * 1000) / rate - Date.now()));
    const { orderId, lastStatus } = await api.submit(order);
    if (orderId) into.accepted.set(orderId, order);
    else into.refused[String(lastStatus ?? 'no answer')] = (into.refused[String(lastStatus ?? 'no answer')] ?? 0) + 1;
  });
}
