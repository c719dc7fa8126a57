/**
 * Worker-side resilience settings, parsed from the environment with zod: one circuit breaker
 * per downstream (a global default, overridable per downstream), the bulkhead size of every
 * downstream's task queue, the SLA alert webhook and the metrics endpoint.
 *
 *   BREAKER_THRESHOLD=5  BREAKER_HALF_OPEN_AFTER_MS=30000           defaults for every breaker
 *   BREAKER_PAYMENTS_THRESHOLD=3  BREAKER_PAYMENTS_HALF_OPEN_AFTER_MS=10000   one downstream
 *   BULKHEAD_NOTIFICATIONS=5                                        concurrent notification calls
 */
import { z } from 'zod';
import { loadConfig, port, positiveInt, url } from '../../config';
import { DEPENDENCIES, type Dependency } from '../../workflows/task-queues';

/** The downstreams with a breaker of their own (the two carriers and the two scorers are separate systems). */
export const BREAKER_NAMES = ['inventory', 'payments', 'carrierPrimary', 'carrierBackup', 'fraudModel', 'fraudRules', 'notifications'] as const;
export type BreakerName = (typeof BREAKER_NAMES)[number];

export interface BreakerSettings {
  /** Consecutive transient failures that open the breaker. */
  threshold: number;
  /** How long an open breaker fails fast before letting one trial call through (half-open). */
  halfOpenAfterMs: number;
}

export const DEFAULT_BREAKER: BreakerSettings = { threshold: 5, halfOpenAfterMs: 30_000 };

/** Concurrent activity executions per downstream task queue, unless configured. */
export const DEFAULT_BULKHEAD_SIZE = 20;

/** `carrierPrimary` → `CARRIER_PRIMARY`. */
const envName = (name: string) => name.replace(/[A-Z]/g, (c) => `_${c}`).toUpperCase();

const optionalPositive = positiveInt.optional();

export const resilienceSchema = z
  .object({
    BREAKER_THRESHOLD: positiveInt.default(DEFAULT_BREAKER.threshold),
    BREAKER_HALF_OPEN_AFTER_MS: positiveInt.default(DEFAULT_BREAKER.halfOpenAfterMs),
    ...Object.fromEntries(BREAKER_NAMES.flatMap((n) => [[`BREAKER_${envName(n)}_THRESHOLD`, optionalPositive], [`BREAKER_${envName(n)}_HALF_OPEN_AFTER_MS`, optionalPositive]])),
    ...Object.fromEntries(DEPENDENCIES.map((d) => [`BULKHEAD_${envName(d)}`, positiveInt.max(1000).default(DEFAULT_BULKHEAD_SIZE)])),
    /** Where SLA alerts are posted (JSON); the default is the reference notifications service. */
    SLA_ALERT_WEBHOOK_URL: url.default('http://127.0.0.1:4006/alerts'),
    SLA_ALERT_TIMEOUT_MS: positiveInt.default(5_000),
    /** Serve the worker's Prometheus metrics on 127.0.0.1:<port>/metrics; unset: not served. */
    WORKER_METRICS_PORT: port.optional(),
  });

export interface ResilienceConfig {
  breakers: Record<BreakerName, BreakerSettings>;
  bulkheads: Record<Dependency, number>;
  slaAlertWebhookUrl: string;
  slaAlertTimeoutMs: number;
  metricsPort: number | undefined;
}

/** Reads and validates the resilience settings (a bad value names its variable, like every config). */
export function loadResilienceConfig(env: Record<string, string | undefined> = process.env): ResilienceConfig {
  const raw = loadConfig(resilienceSchema, env);
  const value = (key: string) => (raw as Record<string, unknown>)[key] as number | undefined;
  return {
    breakers: Object.fromEntries(
      BREAKER_NAMES.map((n) => [
        n,
        {
          threshold: value(`BREAKER_${envName(n)}_THRESHOLD`) ?? raw.BREAKER_THRESHOLD,
          halfOpenAfterMs: value(`BREAKER_${envName(n)}_HALF_OPEN_AFTER_MS`) ?? raw.BREAKER_HALF_OPEN_AFTER_MS,
        },
      ]),
    ) as Record<BreakerName, BreakerSettings>,
    bulkheads: Object.fromEntries(DEPENDENCIES.map((d) => [d, value(`BULKHEAD_${envName(d)}`) ?? DEFAULT_BULKHEAD_SIZE])) as Record<Dependency, number>,
    slaAlertWebhookUrl: raw.SLA_ALERT_WEBHOOK_URL,
    slaAlertTimeoutMs: raw.SLA_ALERT_TIMEOUT_MS,
    metricsPort: raw.WORKER_METRICS_PORT,
  };
}
