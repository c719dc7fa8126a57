/**
 * One circuit breaker per downstream (cockatiel), shared by every activity of the worker
 * process, and a decorator that puts them in front of the ports. What counts against a
 * breaker is a *transient* failure only: 5xx, timeouts, refused connections, 429s. A business
 * rejection (PaymentDeclined, OutOfStock…) is a healthy answer and resets the count; a caller
 * abort (activity cancelled) is neither. An open breaker fails the call fast with a
 * CircuitOpenError, without calling the downstream; after `halfOpenAfterMs` one trial call
 * goes through and its outcome closes or re-opens the breaker.
 *
 * With health probes (`probing`, `./health-probes.ts`), an open breaker also asks its
 * downstream's `/healthz` every `probeIntervalMs` (doubled after each failed trial, until the
 * breaker closes); the first healthy answer half-opens it at once (the next call is the trial)
 * instead of after `halfOpenAfterMs`. Probing stops when the breaker
 * leaves the open state, and for good on `dispose()` or when `probing.signal` aborts; its timers
 * never keep the process alive. `onRecovered` tells the worker when a downstream looks back (a
 * healthy probe) or is back (the breaker closed), so that it can end the retry delays of the
 * activities waiting for it (`src/temporal/backoff-release.ts`).
 */
import {
  BrokenCircuitError,
  circuitBreaker,
  CircuitState,
  ConsecutiveBreaker,
  handleWhen,
  IsolatedCircuitError,
  type CircuitBreakerPolicy,
} from 'cockatiel';
import { setTimeout as sleep } from 'node:timers/promises';
import { BusinessRejectionError, CircuitOpenError, DownstreamError } from '../errors';
import type { CallOptions, CarrierPort, DownstreamPorts, FraudPort } from '../ports';
import {
  BREAKER_NAMES,
  DEFAULT_BREAKER,
  DEFAULT_PROBE_TIMEOUT_MS,
  type BreakerName,
  type BreakerSettings,
} from './config';
import { checkHealth, probeIntervalFor, ProbedHalfOpenAfter, type OpenWait } from './health-probes';
import type { BreakerMetrics, BreakerState } from './metrics';

export interface BreakerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
  /** Every single probe, when given. */
  debug?(obj: object, msg: string): void;
}

export interface ProbeOptions {
  /** Each breaker's health endpoint (`healthUrls` in `./health-probes.ts`); a breaker without one is never probed. */
  urls: Partial<Record<BreakerName, string>>;
  /** How long one probe may take (default DEFAULT_PROBE_TIMEOUT_MS); no answer in time is unhealthy. */
  timeoutMs?: number;
  /** Stops every probe for good (the worker is shutting down), like `dispose()`. */
  signal?: AbortSignal;
  fetch?: typeof fetch;
}

/** A downstream looks back (`probe`: its health check answered while the breaker was open) or is back (`closed`). */
export interface Recovery {
  downstream: BreakerName;
  via: 'probe' | 'closed';
}

const STATE_NAMES: Record<CircuitState, BreakerState> = {
  [CircuitState.Closed]: 'closed',
  [CircuitState.HalfOpen]: 'half-open',
  [CircuitState.Open]: 'open',
  [CircuitState.Isolated]: 'isolated',
};

/** Transient failures of the downstream itself (business rejections never reach the breaker as errors). */
const isTransient = (err: Error) => err instanceof DownstreamError && !(err instanceof BusinessRejectionError);

type Answer<T> = { value: T } | { rejection: BusinessRejectionError };

interface Breaker {
  name: BreakerName;
  policy: CircuitBreakerPolicy;
  /** The wait of each opening, which a healthy probe ends. */
  halfOpenAfter: ProbedHalfOpenAfter;
  settings: BreakerSettings;
  /** Stops the probe loop of the current opening. */
  probe?: AbortController;
  /** A probe half-opened the breaker: the trial's own half-open is not logged or counted again. */
  halfOpenByProbe: boolean;
}

export class DownstreamBreakers {
  private readonly breakers: Record<BreakerName, Breaker>;
  private readonly lifetime = new AbortController();
  private readonly recoveryListeners = new Set<(recovery: Recovery) => void>();

  constructor(
    private readonly settings: Partial<Record<BreakerName, BreakerSettings>> = {},
    private readonly observe: { logger?: BreakerLogger; metrics?: BreakerMetrics } = {},
    private readonly probing?: ProbeOptions,
  ) {
    this.breakers = Object.fromEntries(BREAKER_NAMES.map((name) => [name, this.create(name)])) as Record<
      BreakerName,
      Breaker
    >;
    probing?.signal?.addEventListener('abort', () => this.dispose(), { once: true });
    if (probing?.signal?.aborted) this.dispose();
  }

  private create(name: BreakerName): Breaker {
    const settings = this.settings[name] ?? DEFAULT_BREAKER;
    const { threshold, halfOpenAfterMs } = settings;
    const halfOpenAfter = new ProbedHalfOpenAfter(halfOpenAfterMs);
    const policy = circuitBreaker(handleWhen(isTransient), {
      halfOpenAfter,
      breaker: new ConsecutiveBreaker(threshold),
    });
    const breaker: Breaker = { name, policy, halfOpenAfter, settings, halfOpenByProbe: false };
    policy.onStateChange((state) => {
      if (state !== CircuitState.Open) this.stopProbing(breaker);
      // The probe already said half-open (and counted it): this is its trial call.
      if (state === CircuitState.HalfOpen && breaker.halfOpenByProbe) return;
      breaker.halfOpenByProbe = false;
      const to = STATE_NAMES[state];
      const last = policy.lastFailure;
      const cause = last && 'error' in last ? last.error.message : undefined;
      const line = {
        downstream: name,
        state: to,
        threshold,
        halfOpenAfterMs,
        ...(to === 'open' && cause ? { lastFailure: cause } : {}),
      };
      if (to === 'closed') this.observe.logger?.info(line, 'circuit breaker closed');
      else this.observe.logger?.warn(line, `circuit breaker ${to}`);
      this.observe.metrics?.stateChanged(name, to);
      if (state === CircuitState.Open) this.startProbing(breaker);
      if (state === CircuitState.Closed) this.recovered({ downstream: name, via: 'closed' });
    });
    return breaker;
  }

  /** The breaker's state; an open breaker whose probe answered healthy is half-open (its next call is the trial). */
  state(name: BreakerName): BreakerState {
    const { policy, halfOpenAfter } = this.breakers[name];
    if (policy.state === CircuitState.Open && halfOpenAfter.latest?.ended) return 'half-open';
    return STATE_NAMES[policy.state];
  }

  /** Whether the breaker's downstream is being probed (its breaker is open and no probe answered healthy yet). */
  isProbing(name: BreakerName): boolean {
    return this.breakers[name].probe !== undefined;
  }

  /** Calls `listener` when a downstream looks back (a healthy probe) or is back (its breaker closed). */
  onRecovered(listener: (recovery: Recovery) => void): () => void {
    this.recoveryListeners.add(listener);
    return () => this.recoveryListeners.delete(listener);
  }

  /** Stops every probe for good; the breakers keep working (an open one waits `halfOpenAfterMs` again). */
  dispose(): void {
    this.lifetime.abort();
    for (const breaker of Object.values(this.breakers)) this.stopProbing(breaker);
  }

  private recovered(recovery: Recovery): void {
    for (const listener of this.recoveryListeners) {
      try {
        listener(recovery);
      } catch (err) {
        this.observe.logger?.warn({ err, ...recovery }, 'circuit breaker recovery listener failed');
      }
    }
  }

  private startProbing(breaker: Breaker): void {
    const url = this.probing?.urls[breaker.name];
    const every = breaker.settings.probeIntervalMs ?? 0;
    const wait = breaker.halfOpenAfter.latest;
    if (!url || every <= 0 || !wait || this.lifetime.signal.aborted) return;
    const intervalMs = probeIntervalFor(every, wait.attempt, breaker.settings.halfOpenAfterMs);
    this.stopProbing(breaker);
    const stop = new AbortController();
    breaker.probe = stop;
    this.observe.logger?.info(
      { downstream: breaker.name, healthUrl: url, intervalMs, opening: wait.attempt },
      'probing the downstream while its circuit breaker is open',
    );
    void this.probeUntilHealthy(breaker, wait, url, intervalMs, AbortSignal.any([stop.signal, this.lifetime.signal]));
  }

  private stopProbing(breaker: Breaker): void {
    breaker.probe?.abort();
    breaker.probe = undefined;
  }

  /** Probes every `intervalMs` (unref'd timers) until healthy or stopped; a healthy answer ends `wait`. */
  private async probeUntilHealthy(
    breaker: Breaker,
    wait: OpenWait,
    url: string,
    intervalMs: number,
    signal: AbortSignal,
  ): Promise<void> {
    const { name: downstream } = breaker;
    const timeoutMs = this.probing?.timeoutMs ?? DEFAULT_PROBE_TIMEOUT_MS;
    for (let probes = 1; ; probes++) {
      try {
        await sleep(intervalMs, undefined, { signal, ref: false });
      } catch {
        return; // stopped
      }
      const answer = await checkHealth(url, timeoutMs, signal, this.probing?.fetch);
      if (signal.aborted) return;
      this.observe.metrics?.probed(downstream, answer.healthy ? 'healthy' : 'unhealthy');
      this.observe.logger?.debug?.({ downstream, healthUrl: url, probe: probes, ...answer }, 'circuit breaker probe');
      if (!answer.healthy) continue;
      // Only the opening this loop was started for can be ended by it.
      if (breaker.policy.state !== CircuitState.Open || breaker.halfOpenAfter.latest !== wait) return;
      wait.end();
      breaker.halfOpenByProbe = true;
      breaker.probe = undefined; // this loop's: no newer opening exists
      const { threshold, halfOpenAfterMs } = breaker.settings;
      this.observe.logger?.warn(
        { downstream, state: 'half-open', via: 'probe', healthUrl: url, probes, threshold, halfOpenAfterMs },
        'circuit breaker half-open',
      );
      this.observe.metrics?.stateChanged(downstream, 'half-open');
      this.recovered({ downstream, via: 'probe' });
      return;
    }
  }

  /** Runs `fn` through the breaker of `name`; an open breaker throws CircuitOpenError without calling it. */
  async call<T>(name: BreakerName, opts: CallOptions, fn: () => Promise<T>): Promise<T> {
    let answer: Answer<T>;
    try {
      answer = await this.breakers[name].policy.execute(async (): Promise<Answer<T>> => {
        try {
          return { value: await fn() };
        } catch (err) {
          // A definitive "no" is the downstream working as designed: a success for the breaker.
          if (err instanceof BusinessRejectionError) return { rejection: err };
          throw err;
        }
      }, opts.signal);
    } catch (err) {
      if (err instanceof BrokenCircuitError || err instanceof IsolatedCircuitError) {
        this.observe.metrics?.callRejected(name);
        throw new CircuitOpenError(name, `${name} circuit breaker is open: failing fast without calling it`, {
          breaker: name,
        });
      }
      throw err;
    }
    if ('rejection' in answer) throw answer.rejection;
    return answer.value;
  }
}

/** The same ports, every call going through its downstream's breaker. */
export function withCircuitBreakers(ports: DownstreamPorts, breakers: DownstreamBreakers): DownstreamPorts {
  const scorer = (port: FraudPort, name: BreakerName): FraudPort => ({
    score: (req, opts) => breakers.call(name, opts, () => port.score(req, opts)),
  });
  const carrier = (port: CarrierPort, name: BreakerName): CarrierPort => ({
    name: port.name,
    dispatch: (req, opts) => breakers.call(name, opts, () => port.dispatch(req, opts)),
    voidShipment: (req, opts) => breakers.call(name, opts, () => port.voidShipment(req, opts)),
  });
  const { inventory, payments, notifications } = ports;
  return {
    inventory: {
      reserve: (req, opts) => breakers.call('inventory', opts, () => inventory.reserve(req, opts)),
      release: (req, opts) => breakers.call('inventory', opts, () => inventory.release(req, opts)),
      commit: (req, opts) => breakers.call('inventory', opts, () => inventory.commit(req, opts)),
    },
    payments: {
      capture: (req, opts) => breakers.call('payments', opts, () => payments.capture(req, opts)),
      refund: (req, opts) => breakers.call('payments', opts, () => payments.refund(req, opts)),
    },
    primaryCarrier: carrier(ports.primaryCarrier, 'primaryCarrier'),
    backupCarrier: carrier(ports.backupCarrier, 'backupCarrier'),
    fraudModel: scorer(ports.fraudModel, 'fraudModel'),
    fraudRules: scorer(ports.fraudRules, 'fraudRules'),
    notifications: { send: (req, opts) => breakers.call('notifications', opts, () => notifications.send(req, opts)) },
  };
}
