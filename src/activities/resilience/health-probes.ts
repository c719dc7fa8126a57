/**
 * Health probes of open circuit breakers: while a downstream's breaker is open, the worker asks
 * `GET <downstream URL>/healthz` every `probeIntervalMs` (`BREAKER_PROBE_INTERVAL_MS`), each probe
 * under a timeout (`BREAKER_PROBE_TIMEOUT_MS`). A 2xx answer is healthy; anything else (5xx, 404,
 * a refused or dropped connection, the timeout) is not. A healthy probe ends the breaker's wait:
 * the next call is the trial, whose outcome closes or re-opens the breaker, as after the
 * half-open delay. The loop (`circuit-breakers.ts`) runs only while its breaker is open.
 *
 * How the wait ends without forking cockatiel: an open breaker compares the time since it opened
 * with `state.backoff.duration`, read on every call (`CircuitBreakerPolicy.execute`). Each opening
 * takes a fresh backoff from the `halfOpenAfter` factory below (`next()`, called when the breaker
 * opens from closed or re-opens after a failed trial), whose duration drops to 0 once a probe of
 * *that* opening answered healthy. A late probe of an earlier opening changes nothing.
 */
import type { IBackoff, IBackoffFactory, IHalfOpenAfterBackoffContext } from 'cockatiel';
import type { DownstreamConfig } from '../clients/config';
import type { BreakerName } from './config';

/** The path probed on every downstream's base URL. */
export const HEALTH_PATH = '/healthz';

/** Where each breaker's downstream answers its health check. fraudModel and fraudRules share FRAUD_URL. */
export function healthUrls(
  config: Pick<
    DownstreamConfig,
    'INVENTORY_URL' | 'PAYMENTS_URL' | 'PRIMARY_CARRIER_URL' | 'BACKUP_CARRIER_URL' | 'FRAUD_URL' | 'NOTIFICATIONS_URL'
  >,
): Record<BreakerName, string> {
  const at = (base: string) => `${base.replace(/\/+$/, '')}${HEALTH_PATH}`;
  return {
    inventory: at(config.INVENTORY_URL),
    payments: at(config.PAYMENTS_URL),
    primaryCarrier: at(config.PRIMARY_CARRIER_URL),
    backupCarrier: at(config.BACKUP_CARRIER_URL),
    fraudModel: at(config.FRAUD_URL),
    fraudRules: at(config.FRAUD_URL),
    notifications: at(config.NOTIFICATIONS_URL),
  };
}

export type HealthAnswer = { healthy: true; status: number } | { healthy: false; reason: string };

/**
 * One probe. Never throws: an abort of `signal` (the breaker left the open state, the worker is
 * stopping) or the timeout is an unhealthy answer too.
 */
export async function checkHealth(
  url: string,
  timeoutMs: number,
  signal?: AbortSignal,
  fetchImpl: typeof fetch = fetch,
): Promise<HealthAnswer> {
  const timeout = AbortSignal.timeout(timeoutMs);
  try {
    const res = await fetchImpl(url, {
      headers: { accept: 'application/json' },
      signal: signal ? AbortSignal.any([signal, timeout]) : timeout,
    });
    await res.arrayBuffer(); // frees the connection for the next probe
    return res.ok ? { healthy: true, status: res.status } : { healthy: false, reason: `HTTP ${res.status}` };
  } catch (err) {
    if (timeout.aborted && !signal?.aborted) return { healthy: false, reason: `no answer within ${timeoutMs} ms` };
    const cause = err instanceof Error && err.cause instanceof Error ? err.cause : err;
    const code = (cause as NodeJS.ErrnoException | undefined)?.code;
    return { healthy: false, reason: code ?? (cause instanceof Error ? cause.message : String(cause)) };
  }
}

/** The wait of one opening of a breaker: `waitMs`, or 0 once a probe of this opening answered healthy. */
export class OpenWait implements IBackoff<IHalfOpenAfterBackoffContext> {
  private healthySeen = false;

  constructor(
    private readonly waitMs: number,
    private readonly factory: ProbedHalfOpenAfter,
    /** Consecutive openings, this one included: 1 when opened from closed, +1 after each failed trial. */
    readonly attempt: number = 1,
  ) {}

  /** Read by cockatiel on every call to the open breaker. */
  get duration(): number {
    return this.healthySeen ? 0 : this.waitMs;
  }

  /** Whether a probe ended this wait: the next call is the trial. */
  get ended(): boolean {
    return this.healthySeen;
  }

  /** A probe answered healthy: the next call goes through as the trial. */
  end(): void {
    this.healthySeen = true;
  }

  /** The next opening (after a failed trial) waits in full again. */
  next(context: IHalfOpenAfterBackoffContext): OpenWait {
    return this.factory.next(context);
  }
}

/** A `halfOpenAfter` backoff factory: a constant wait per opening, which a healthy probe can end early. */
export class ProbedHalfOpenAfter implements IBackoffFactory<IHalfOpenAfterBackoffContext> {
  private current: OpenWait | undefined;

  constructor(private readonly waitMs: number) {}

  next(context?: IHalfOpenAfterBackoffContext): OpenWait {
    this.current = new OpenWait(this.waitMs, this, context?.attempt ?? 1);
    return this.current;
  }

  /** The wait of the latest opening (the current one while the breaker is open). */
  get latest(): OpenWait | undefined {
    return this.current;
  }
}

/**
 * The probe interval of an opening: `intervalMs` for the first, doubled for each failed trial
 * since the breaker was last closed, at most `halfOpenAfterMs` (when cockatiel tries anyway). A
 * health check that answers while the service still fails thus costs fewer and fewer trial calls.
 */
export function probeIntervalFor(intervalMs: number, attempt: number, halfOpenAfterMs: number): number {
  const cap = Math.max(intervalMs, halfOpenAfterMs);
  return Math.min(cap, intervalMs * 2 ** Math.min(30, Math.max(0, attempt - 1)));
}
