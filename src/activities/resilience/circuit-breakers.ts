/**
 * One circuit breaker per downstream (cockatiel), shared by every activity of the worker
 * process, and a decorator that puts them in front of the ports. What counts against a
 * breaker is a *transient* failure only: 5xx, timeouts, refused connections, 429s. A business
 * rejection (PaymentDeclined, OutOfStock…) is a healthy answer and resets the count; a caller
 * abort (activity cancelled) is neither. An open breaker fails the call fast with a
 * CircuitOpenError, without calling the downstream; after `halfOpenAfterMs` one trial call
 * goes through and its outcome closes or re-opens the breaker.
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
import { BusinessRejectionError, CircuitOpenError, DownstreamError } from '../errors';
import type { CallOptions, CarrierPort, DownstreamPorts, FraudPort } from '../ports';
import { BREAKER_NAMES, DEFAULT_BREAKER, type BreakerName, type BreakerSettings } from './config';
import type { BreakerMetrics, BreakerState } from './metrics';

export interface BreakerLogger {
  info(obj: object, msg: string): void;
  warn(obj: object, msg: string): void;
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

export class DownstreamBreakers {
  private readonly policies: Record<BreakerName, CircuitBreakerPolicy>;

  constructor(
    private readonly settings: Partial<Record<BreakerName, BreakerSettings>> = {},
    private readonly observe: { logger?: BreakerLogger; metrics?: BreakerMetrics } = {},
  ) {
    this.policies = Object.fromEntries(BREAKER_NAMES.map((name) => [name, this.create(name)])) as Record<
      BreakerName,
      CircuitBreakerPolicy
    >;
  }

  private create(name: BreakerName): CircuitBreakerPolicy {
    const { threshold, halfOpenAfterMs } = this.settings[name] ?? DEFAULT_BREAKER;
    const policy = circuitBreaker(handleWhen(isTransient), {
      halfOpenAfter: halfOpenAfterMs,
      breaker: new ConsecutiveBreaker(threshold),
    });
    policy.onStateChange((state) => {
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
    });
    return policy;
  }

  state(name: BreakerName): BreakerState {
    return STATE_NAMES[this.policies[name].state];
  }

  /** Runs `fn` through the breaker of `name`; an open breaker throws CircuitOpenError without calling it. */
  async call<T>(name: BreakerName, opts: CallOptions, fn: () => Promise<T>): Promise<T> {
    let answer: Answer<T>;
    try {
      answer = await this.policies[name].execute(async (): Promise<Answer<T>> => {
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
