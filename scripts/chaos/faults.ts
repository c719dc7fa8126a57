/**
 * Fault injection over the reference services' `/_faults` controls, and the background mix the
 * chaos run applies while orders flow: latency, error rates, 429s and hangs spread over the
 * downstreams. The full outage of one dependency is applied separately (see `run.ts`).
 */
import { serviceUrl, SERVICES, type Layout, type Service } from './stack';

export interface FaultSettings {
  latencyMs?: number;
  errorRate?: number;
  errorStatus?: 500 | 502 | 503 | 504;
  rateLimitRate?: number;
  retryAfterSeconds?: number;
  hangRate?: number;
  outage?: 'none' | 'unavailable' | 'reset';
}

/** Replaces the service's fault settings (omitted fields are off). */
export async function setFaults(l: Layout, service: Service, settings: FaultSettings): Promise<void> {
  const res = await fetch(`${serviceUrl(l, service)}/_faults`, {
    method: 'PUT',
    headers: { 'content-type': 'application/json' },
    body: JSON.stringify(settings),
    signal: AbortSignal.timeout(5_000),
  });
  if (!res.ok) throw new Error(`PUT /_faults on ${service} answered ${res.status}: ${await res.text()}`);
}

export async function clearFaults(l: Layout): Promise<void> {
  await Promise.all(
    SERVICES.map((s) => fetch(`${serviceUrl(l, s)}/_faults`, { method: 'DELETE', signal: AbortSignal.timeout(5_000) })),
  );
}

/** The weather while orders flow: every dependency a little sick, none down. */
export const BACKGROUND_FAULTS: Partial<Record<Service, FaultSettings>> = {
  inventory: { latencyMs: 150, errorRate: 0.1, errorStatus: 503 },
  payments: { errorRate: 0.15, rateLimitRate: 0.1, retryAfterSeconds: 1 },
  primaryCarrier: { rateLimitRate: 0.15, retryAfterSeconds: 2, latencyMs: 100 },
  // Fraud model hangs past the client's 2 s timeout now and then: the rules scorer may take over.
  fraud: { hangRate: 0.1 },
  notifications: { errorRate: 0.3 },
};

export async function applyBackground(l: Layout, except?: Service): Promise<void> {
  await Promise.all(
    Object.entries(BACKGROUND_FAULTS).map(([s, f]) =>
      s === except ? Promise.resolve() : setFaults(l, s as Service, f),
    ),
  );
}

/** Sets a large stock of `skus` (admin endpoint, never faulted), so only the out-of-stock scenario runs out. */
export async function stockUp(l: Layout, skus: readonly string[], available = 1_000_000): Promise<void> {
  for (const sku of skus) {
    const res = await fetch(`${serviceUrl(l, 'inventory')}/stock/${encodeURIComponent(sku)}`, {
      method: 'PUT',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify({ available }),
      signal: AbortSignal.timeout(5_000),
    });
    if (!res.ok) throw new Error(`PUT /stock/${sku} answered ${res.status}`);
  }
}
