/**
 * The worker's Prometheus metrics (circuit breakers, their health probes, the bulkheads, the
 * release of retry delays once a downstream is back), and the optional endpoint that serves
 * them: `WORKER_METRICS_PORT`, bound to 127.0.0.1 only (scrape it through a sidecar or a
 * tunnel; the worker has no other inbound port and no authentication). The worker also serves
 * the SDK's own metrics there (`src/temporal/core-metrics.ts`), so it is one scrape target.
 */
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { Counter, Gauge, type Registry } from 'prom-client';
import type { DownstreamBulkheads } from './bulkheads';

export type BreakerState = 'closed' | 'half-open' | 'open' | 'isolated';

/** Gauge values of `circuit_breaker_state`. */
export const BREAKER_STATE_VALUE: Record<BreakerState, number> = { closed: 0, 'half-open': 1, open: 2, isolated: 3 };

export type ProbeResult = 'healthy' | 'unhealthy';

export interface BreakerMetrics {
  stateChanged(downstream: string, state: BreakerState): void;
  callRejected(downstream: string): void;
  /** One health probe of an open breaker (`circuit_breaker_probes_total`). */
  probed(downstream: string, result: ProbeResult): void;
}

/**
 * `downstreams`: the breakers that exist, shown closed with no rejected call from the start, so
 * a dashboard shows every breaker and the first rejection is a counted increase.
 */
export function createBreakerMetrics(registry: Registry, downstreams: readonly string[] = []): BreakerMetrics {
  const transitions = new Counter({
    name: 'circuit_breaker_transitions_total',
    help: 'Circuit breaker state changes, by downstream and the state entered.',
    labelNames: ['downstream', 'state'] as const,
    registers: [registry],
  });
  const state = new Gauge({
    name: 'circuit_breaker_state',
    help: 'Current circuit breaker state by downstream: 0 closed, 1 half-open, 2 open, 3 held open.',
    labelNames: ['downstream'] as const,
    registers: [registry],
  });
  const rejected = new Counter({
    name: 'circuit_breaker_rejected_calls_total',
    help: 'Calls failed fast (not sent) because the downstream breaker was open.',
    labelNames: ['downstream'] as const,
    registers: [registry],
  });
  const probes = new Counter({
    name: 'circuit_breaker_probes_total',
    help: 'Health probes (GET <downstream>/healthz) of open circuit breakers, by downstream and result; a healthy one half-opens the breaker.',
    labelNames: ['downstream', 'result'] as const,
    registers: [registry],
  });
  for (const downstream of downstreams) {
    state.set({ downstream }, BREAKER_STATE_VALUE.closed);
    rejected.inc({ downstream }, 0);
    probes.inc({ downstream, result: 'healthy' }, 0);
    probes.inc({ downstream, result: 'unhealthy' }, 0);
  }
  return {
    stateChanged(downstream, to) {
      transitions.inc({ downstream, state: to });
      state.set({ downstream }, BREAKER_STATE_VALUE[to]);
    },
    callRejected(downstream) {
      rejected.inc({ downstream });
    },
    probed(downstream, result) {
      probes.inc({ downstream, result });
    },
  };
}

/**
 * `bulkhead_calls{downstream,state}` (running, waiting: read at each scrape), `bulkhead_limit{downstream}`
 * and `bulkhead_rejected_calls_total{downstream}`: the per-downstream concurrency limits of this worker
 * (`./bulkheads.ts`).
 */
export function registerBulkheadMetrics(registry: Registry, bulkheads: DownstreamBulkheads): void {
  new Gauge({
    name: 'bulkhead_calls',
    help: 'Calls to a downstream in this worker, by state: running, or waiting for a turn in its bulkhead.',
    labelNames: ['downstream', 'state'] as const,
    registers: [registry],
    collect() {
      for (const [downstream, load] of Object.entries(bulkheads.load())) {
        this.set({ downstream, state: 'running' }, load.running);
        this.set({ downstream, state: 'waiting' }, load.waiting);
      }
    },
  });
  new Gauge({
    name: 'bulkhead_limit',
    help: 'Calls to a downstream that may run at once in this worker (BULKHEAD_*); as many more may wait.',
    labelNames: ['downstream'] as const,
    registers: [registry],
    collect() {
      for (const [downstream, load] of Object.entries(bulkheads.load())) this.set({ downstream }, load.limit);
    },
  });
  const rejected = new Counter({
    name: 'bulkhead_rejected_calls_total',
    help: 'Calls turned away (BulkheadFull, retried with backoff) because their downstream had as many calls running and waiting as it allows.',
    labelNames: ['downstream'] as const,
    registers: [registry],
  });
  for (const downstream of Object.keys(bulkheads.load())) rejected.inc({ downstream }, 0);
  bulkheads.onRejected((downstream) => rejected.inc({ downstream }));
}

/** Why a release ran: a healthy probe of the open breaker, or the breaker closing on a successful call. */
export type ReleaseTrigger = 'probe' | 'closed';

export interface BackoffReleaseMetrics {
  /** One release run over the orders of `downstream`, and how many activities it ran at once. */
  released(downstream: string, trigger: ReleaseTrigger, activities: number, failed: number): void;
}

/**
 * `backoff_releases_total{downstream,trigger}`, `backoff_released_activities_total{downstream}` and
 * `backoff_release_errors_total{downstream}`: the retry delays ended early (Temporal's
 * ResetActivity) once a downstream was back (`src/temporal/backoff-release.ts`).
 */
export function createBackoffReleaseMetrics(registry: Registry, downstreams: readonly string[] = []) {
  const runs = new Counter({
    name: 'backoff_releases_total',
    help: 'Runs that ended the retry delays of a downstream whose breaker saw it healthy again, by trigger (probe, closed).',
    labelNames: ['downstream', 'trigger'] as const,
    registers: [registry],
  });
  const activities = new Counter({
    name: 'backoff_released_activities_total',
    help: 'Activities waiting out a retry delay that Temporal was asked to run at once (ResetActivity).',
    labelNames: ['downstream'] as const,
    registers: [registry],
  });
  const errors = new Counter({
    name: 'backoff_release_errors_total',
    help: 'Orders a release could not look at or reset (they keep waiting out their delay).',
    labelNames: ['downstream'] as const,
    registers: [registry],
  });
  for (const downstream of downstreams) {
    activities.inc({ downstream }, 0);
    errors.inc({ downstream }, 0);
  }
  const metrics: BackoffReleaseMetrics = {
    released(downstream, trigger, count, failed) {
      runs.inc({ downstream, trigger });
      activities.inc({ downstream }, count);
      errors.inc({ downstream }, failed);
    },
  };
  return metrics;
}

/**
 * Serves `GET /metrics` on 127.0.0.1:`port` (0: any free port); resolves once listening.
 * `render` builds the body (default: the registry's exposition), e.g. to append another one.
 */
export async function serveMetrics(
  registry: Registry,
  port: number,
  render: () => Promise<string> = () => registry.metrics(),
): Promise<{ port: number; close(): Promise<void> }> {
  const server = http.createServer((req, res) => {
    if (req.method !== 'GET' || req.url?.split('?')[0] !== '/metrics') {
      res.writeHead(404, { 'content-type': 'text/plain' }).end('not found\n');
      return;
    }
    render().then(
      (text) => res.writeHead(200, { 'content-type': registry.contentType }).end(text),
      (err: unknown) => res.writeHead(500, { 'content-type': 'text/plain' }).end(`${String(err)}\n`),
    );
  });
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(port, '127.0.0.1', () => resolve());
  });
  return {
    port: (server.address() as AddressInfo).port,
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  };
}
