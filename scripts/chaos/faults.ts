/**
 * Fault injection over the reference services' `/_faults` controls (with the run's admin token),
 * and the background mix the chaos run applies while orders flow: latency, error rates, 429s and
 * hangs spread over the downstreams, and on every service with an effect, answers lost after the
 * effect landed (which stay on while the orders settle). The full outage of one dependency is
 * applied separately (see `run.ts`).
 */
import type { z } from 'zod';
import type { faultSettingsSchema } from '../../src/services/faults';
import { adminAuth, serviceUrl, SERVICES, type Service, type Stack } from './stack';

/**
 * The body of `PUT /_faults`, derived from the services' own schema so the two never drift:
 * every field optional (omitted = off), e.g. `lostAnswerRate`, the share of requests that take
 * effect but whose answer is dropped with the connection.
 */
export type FaultSettings = z.input<typeof faultSettingsSchema>;

/** Replaces the service's fault settings (omitted fields are off). */
export async function setFaults(stack: Stack, service: Service, settings: FaultSettings): Promise<void> {
  const res = await fetch(`${serviceUrl(stack.layout, service)}/_faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json', ...adminAuth(stack) },
    body: JSON.stringify(settings),
    signal: AbortSignal.timeout(5_000),
  });
  if (!res.ok) throw new Error(`PUT /_faults on ${service} answered ${res.status}: ${await res.text()}`);
}

export async function clearFaults(stack: Stack): Promise<void> {
  await Promise.all(
    SERVICES.map((s) =>
      fetch(`${serviceUrl(stack.layout, s)}/_faults`, {
        method: 'DELETE',
        headers: adminAuth(stack),
        signal: AbortSignal.timeout(5_000),
      }),
    ),
  );
}

/**
 * The weather while orders flow: every dependency a little sick, none down. Every service with
 * an effect also loses some answers after the effect landed (`lostAnswerRate`): the retry under
 * the same key must get the original answer back, never a second effect.
 */
export const BACKGROUND_FAULTS: Partial<Record<Service, FaultSettings>> = {
  inventory: { latencyMs: 150, errorRate: 0.1, errorStatus: 503, lostAnswerRate: 0.08 },
  payments: { errorRate: 0.15, rateLimitRate: 0.1, retryAfterSeconds: 1, lostAnswerRate: 0.1 },
  primaryCarrier: { rateLimitRate: 0.15, retryAfterSeconds: 2, latencyMs: 100, lostAnswerRate: 0.1 },
  // The fallback gets its share too: it runs when the primary's breaker opens or its retries run out.
  backupCarrier: { latencyMs: 50, errorRate: 0.1, errorStatus: 502, lostAnswerRate: 0.1 },
  // Fraud model hangs past the client's 2 s timeout now and then: the rules scorer may take over.
  // Scoring has no effect, so a lost answer would be just another dropped connection.
  fraud: { hangRate: 0.1 },
  notifications: { errorRate: 0.3, lostAnswerRate: 0.05 },
};

/**
 * What stays on while the orders settle, once the weather has cleared: the lost answers alone.
 * They never stop an order (the retry gets the original answer), so they can run to the end,
 * and the steps most orders reach only after the outage (capture, dispatch, commit, the mail)
 * meet them too, not just the first ones. Not on the service that was down: its held-up calls
 * come back at high retry attempts, where one lost answer costs a 30 s backoff (and a lost
 * half-open probe another 30 s of open breaker), which would only measure bad luck.
 */
export const SETTLING_FAULTS: Partial<Record<Service, FaultSettings>> = Object.fromEntries(
  Object.entries(BACKGROUND_FAULTS)
    .filter(([, f]) => (f.lostAnswerRate ?? 0) > 0)
    .map(([s, f]) => [s, { lostAnswerRate: f.lostAnswerRate }]),
);

/** Every service to its `SETTLING_FAULTS` (the others, and `except`, cleared). */
export async function applySettling(stack: Stack, except?: Service): Promise<void> {
  await Promise.all(SERVICES.map((s) => setFaults(stack, s, (s !== except && SETTLING_FAULTS[s]) || {})));
}

export async function applyBackground(stack: Stack, except?: Service): Promise<void> {
  await Promise.all(
    Object.entries(BACKGROUND_FAULTS).map(([s, f]) =>
      s === except ? Promise.resolve() : setFaults(stack, s as Service, f),
    ),
  );
}

/** Sets a large stock of `skus` (admin endpoint, never faulted), so only the out-of-stock scenario runs out. */
export async function stockUp(stack: Stack, skus: readonly string[], available = 1_000_000): Promise<void> {
  for (const sku of skus) {
    const res = await fetch(`${serviceUrl(stack.layout, 'inventory')}/stock/${encodeURIComponent(sku)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json', ...adminAuth(stack) },
      body: JSON.stringify({ available }),
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) throw new Error(`PUT /stock/${sku} answered ${res.status}`);
  }
}
