/**
 * Worker-side resilience settings, parsed from the environment with zod: one circuit breaker
 * per downstream (a global default, overridable per downstream), the bulkhead size of every
 * downstream's task queue, the SLA alert webhook and the metrics endpoint.
 *
 *   BREAKER_THRESHOLD=5  BREAKER_HALF_OPEN_AFTER_MS=30000           defaults for every breaker
 *   BREAKER_PAYMENTS_THRESHOLD=3  BREAKER_PAYMENTS_HALF_OPEN_AFTER_MS=10000   one downstream
 *   BREAKER_PROBE_INTERVAL_MS=1000  BREAKER_PROBE_TIMEOUT_MS=1000   health probes of an open breaker
 *   BREAKER_PAYMENTS_PROBE_INTERVAL_MS=0                           no probing of one downstream
 *   BULKHEAD_NOTIFICATIONS=5                                        concurrent notification calls
 */
import { z } from 'zod';
import { loadConfig, port, positiveInt, url } from '../../config';
import { DOWNSTREAMS, type Downstream } from '../../workflows/downstreams';

/** The downstreams with a breaker of their own: every one but the alert webhook. */
export type BreakerName = Exclude<Downstream, 'alerts'>;
export const BREAKER_NAMES: readonly BreakerName[] = DOWNSTREAMS.filter((d): d is BreakerName => d !== 'alerts');

export interface BreakerSettings {
  /** Consecutive transient failures that open the breaker. */
  threshold: number;
  /** How long an open breaker fails fast before letting one trial call through (half-open). */
  halfOpenAfterMs: number;
  /**
   * While open, how often the worker asks the downstream's `/healthz`; a healthy answer half-opens
   * the breaker at once. 0 (or absent): no probing, the breaker waits `halfOpenAfterMs`.
   */
  probeIntervalMs?: number;
}

export const DEFAULT_BREAKER: BreakerSettings = { threshold: 5, halfOpenAfterMs: 30_000 };

/** Health probes of open breakers, unless configured. */
export const DEFAULT_PROBE_INTERVAL_MS = 1_000;
export const DEFAULT_PROBE_TIMEOUT_MS = 1_000;

/** Concurrent activity executions per downstream task queue, unless configured. */
export const DEFAULT_BULKHEAD_SIZE = 20;

const override = positiveInt.optional();
/** A probe interval: milliseconds between two probes, 0 for none. */
const probeInterval = z.coerce
  .number({ error: 'expected a number of milliseconds (0: no probing)' })
  .int('expected a whole number')
  .min(0, 'expected 0 (no probing) or a positive number of milliseconds')
  .max(3_600_000, 'expected at most 3600000 (one hour)');
const bulkhead = positiveInt.max(1000).default(DEFAULT_BULKHEAD_SIZE);

// Every variable is spelled out, so a search for its name finds where it is read.
export const resilienceSchema = z.object({
  BREAKER_THRESHOLD: positiveInt.default(DEFAULT_BREAKER.threshold),
  BREAKER_HALF_OPEN_AFTER_MS: positiveInt.default(DEFAULT_BREAKER.halfOpenAfterMs),
  BREAKER_INVENTORY_THRESHOLD: override,
  BREAKER_INVENTORY_HALF_OPEN_AFTER_MS: override,
  BREAKER_PAYMENTS_THRESHOLD: override,
  BREAKER_PAYMENTS_HALF_OPEN_AFTER_MS: override,
  BREAKER_PRIMARY_CARRIER_THRESHOLD: override,
  BREAKER_PRIMARY_CARRIER_HALF_OPEN_AFTER_MS: override,
  BREAKER_BACKUP_CARRIER_THRESHOLD: override,
  BREAKER_BACKUP_CARRIER_HALF_OPEN_AFTER_MS: override,
  BREAKER_FRAUD_MODEL_THRESHOLD: override,
  BREAKER_FRAUD_MODEL_HALF_OPEN_AFTER_MS: override,
  BREAKER_FRAUD_RULES_THRESHOLD: override,
  BREAKER_FRAUD_RULES_HALF_OPEN_AFTER_MS: override,
  BREAKER_NOTIFICATIONS_THRESHOLD: override,
  BREAKER_NOTIFICATIONS_HALF_OPEN_AFTER_MS: override,
  BREAKER_PROBE_INTERVAL_MS: probeInterval.default(DEFAULT_PROBE_INTERVAL_MS),
  BREAKER_PROBE_TIMEOUT_MS: positiveInt.max(60_000).default(DEFAULT_PROBE_TIMEOUT_MS),
  BREAKER_INVENTORY_PROBE_INTERVAL_MS: probeInterval.optional(),
  BREAKER_PAYMENTS_PROBE_INTERVAL_MS: probeInterval.optional(),
  BREAKER_PRIMARY_CARRIER_PROBE_INTERVAL_MS: probeInterval.optional(),
  BREAKER_BACKUP_CARRIER_PROBE_INTERVAL_MS: probeInterval.optional(),
  BREAKER_FRAUD_MODEL_PROBE_INTERVAL_MS: probeInterval.optional(),
  BREAKER_FRAUD_RULES_PROBE_INTERVAL_MS: probeInterval.optional(),
  BREAKER_NOTIFICATIONS_PROBE_INTERVAL_MS: probeInterval.optional(),
  BULKHEAD_INVENTORY: bulkhead,
  BULKHEAD_PAYMENTS: bulkhead,
  BULKHEAD_PRIMARY_CARRIER: bulkhead,
  BULKHEAD_BACKUP_CARRIER: bulkhead,
  BULKHEAD_FRAUD_MODEL: bulkhead,
  BULKHEAD_FRAUD_RULES: bulkhead,
  BULKHEAD_NOTIFICATIONS: bulkhead,
  BULKHEAD_ALERTS: bulkhead,
  /** Where SLA alerts are posted (JSON); the default is the reference notifications service. */
  SLA_ALERT_WEBHOOK_URL: url.default('http://127.0.0.1:4006/alerts'),
  SLA_ALERT_TIMEOUT_MS: positiveInt.default(5_000),
  /** Serve the worker's Prometheus metrics on 127.0.0.1:<port>/metrics; unset: not served. */
  WORKER_METRICS_PORT: port.optional(),
});

export interface ResilienceConfig {
  breakers: Record<BreakerName, Required<BreakerSettings>>;
  /** How long one health probe may take before it counts as unhealthy. */
  probeTimeoutMs: number;
  bulkheads: Record<Downstream, number>;
  slaAlertWebhookUrl: string;
  slaAlertTimeoutMs: number;
  metricsPort: number | undefined;
}

/** Reads and validates the resilience settings (a bad value names its variable, like every config). */
export function loadResilienceConfig(env: Record<string, string | undefined> = process.env): ResilienceConfig {
  const raw = loadConfig(resilienceSchema, env);
  const breaker = (
    threshold: number | undefined,
    halfOpenAfterMs: number | undefined,
    probeIntervalMs: number | undefined,
  ): Required<BreakerSettings> => ({
    threshold: threshold ?? raw.BREAKER_THRESHOLD,
    halfOpenAfterMs: halfOpenAfterMs ?? raw.BREAKER_HALF_OPEN_AFTER_MS,
    probeIntervalMs: probeIntervalMs ?? raw.BREAKER_PROBE_INTERVAL_MS,
  });
  return {
    breakers: {
      inventory: breaker(
        raw.BREAKER_INVENTORY_THRESHOLD,
        raw.BREAKER_INVENTORY_HALF_OPEN_AFTER_MS,
        raw.BREAKER_INVENTORY_PROBE_INTERVAL_MS,
      ),
      payments: breaker(
        raw.BREAKER_PAYMENTS_THRESHOLD,
        raw.BREAKER_PAYMENTS_HALF_OPEN_AFTER_MS,
        raw.BREAKER_PAYMENTS_PROBE_INTERVAL_MS,
      ),
      primaryCarrier: breaker(
        raw.BREAKER_PRIMARY_CARRIER_THRESHOLD,
        raw.BREAKER_PRIMARY_CARRIER_HALF_OPEN_AFTER_MS,
        raw.BREAKER_PRIMARY_CARRIER_PROBE_INTERVAL_MS,
      ),
      backupCarrier: breaker(
        raw.BREAKER_BACKUP_CARRIER_THRESHOLD,
        raw.BREAKER_BACKUP_CARRIER_HALF_OPEN_AFTER_MS,
        raw.BREAKER_BACKUP_CARRIER_PROBE_INTERVAL_MS,
      ),
      fraudModel: breaker(
        raw.BREAKER_FRAUD_MODEL_THRESHOLD,
        raw.BREAKER_FRAUD_MODEL_HALF_OPEN_AFTER_MS,
        raw.BREAKER_FRAUD_MODEL_PROBE_INTERVAL_MS,
      ),
      fraudRules: breaker(
        raw.BREAKER_FRAUD_RULES_THRESHOLD,
        raw.BREAKER_FRAUD_RULES_HALF_OPEN_AFTER_MS,
        raw.BREAKER_FRAUD_RULES_PROBE_INTERVAL_MS,
      ),
      notifications: breaker(
        raw.BREAKER_NOTIFICATIONS_THRESHOLD,
        raw.BREAKER_NOTIFICATIONS_HALF_OPEN_AFTER_MS,
        raw.BREAKER_NOTIFICATIONS_PROBE_INTERVAL_MS,
      ),
    },
    probeTimeoutMs: raw.BREAKER_PROBE_TIMEOUT_MS,
    bulkheads: {
      inventory: raw.BULKHEAD_INVENTORY,
      payments: raw.BULKHEAD_PAYMENTS,
      primaryCarrier: raw.BULKHEAD_PRIMARY_CARRIER,
      backupCarrier: raw.BULKHEAD_BACKUP_CARRIER,
      fraudModel: raw.BULKHEAD_FRAUD_MODEL,
      fraudRules: raw.BULKHEAD_FRAUD_RULES,
      notifications: raw.BULKHEAD_NOTIFICATIONS,
      alerts: raw.BULKHEAD_ALERTS,
    },
    slaAlertWebhookUrl: raw.SLA_ALERT_WEBHOOK_URL,
    slaAlertTimeoutMs: raw.SLA_ALERT_TIMEOUT_MS,
    metricsPort: raw.WORKER_METRICS_PORT,
  };
}
