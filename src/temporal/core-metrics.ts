/**
 * The Temporal SDK's own metrics (the native core's: task latencies, slots, pollers, sticky
 * cache, and what workflows record through `metricMeter`) on the worker's metrics endpoint.
 *
 * Core's Prometheus exporter listens on a port of its own, which it cannot share, and the worker
 * should stay one scrape target with one port to open. So core's exporter is bound to a free
 * loopback port nobody configures, and the worker's `/metrics` scrapes it and appends its text
 * to prom-client's (`workerExposition`).
 *
 * Names as core exposes them with the options below: its own metrics prefixed `temporal_`,
 * workflow metrics by their bare name (`order_transitions`), counters with `_total`, durations
 * in seconds without a unit suffix (`temporal_activity_schedule_to_start_latency_bucket`).
 */
import net from 'node:net';
import type { Counter } from 'prom-client';
import { Runtime, type MetricsExporterConfig, type RuntimeOptions } from '@temporalio/worker';

/** Histogram buckets (seconds) of the workflow's `order_status_duration`: core's default stops at 10 s. */
export const ORDER_STATUS_DURATION_BUCKETS = [
  1, 5, 15, 30, 60, 120, 300, 600, 1800, 3600, 7200, 21_600, 86_400, 172_800, 259_200,
];

export function coreMetricsExporter(bindAddress: string): MetricsExporterConfig {
  return {
    prometheus: {
      bindAddress,
      useSecondsForDurations: true,
      // Prometheus' convention (and promtool's lint): a counter's name ends in _total. Name
      // workflow counters without it: `x_total` would be exposed as `x_total_total`.
      countersTotalSuffix: true,
      histogramBucketOverrides: { order_status_duration: ORDER_STATUS_DURATION_BUCKETS },
    },
  };
}

/** A loopback port free right now (the OS picks it), for core's exporter to bind. */
export async function freeLoopbackPort(): Promise<number> {
  const server = net.createServer();
  await new Promise<void>((resolve, reject) => {
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => resolve());
  });
  const { port } = server.address() as net.AddressInfo;
  await new Promise<void>((resolve) => server.close(() => resolve()));
  return port;
}

/**
 * `Runtime.install(options)`, plus core's Prometheus exporter on a free loopback port when
 * `withMetrics`; resolves to the URL core serves its metrics on. Another process may take the
 * port between the probe and core's bind: core then refuses to start and nothing is installed,
 * so it is tried again on another port.
 */
export async function installRuntime(options: RuntimeOptions, withMetrics: boolean): Promise<string | undefined> {
  if (!withMetrics) {
    Runtime.install(options);
    return undefined;
  }
  for (let attempt = 1; ; attempt++) {
    const bindAddress = `127.0.0.1:${await freeLoopbackPort()}`;
    try {
      Runtime.install({
        ...options,
        telemetryOptions: { ...options.telemetryOptions, metrics: coreMetricsExporter(bindAddress) },
      });
      return `http://${bindAddress}/metrics`;
    } catch (err) {
      if (attempt >= 3 || !/address already in use/i.test(String(err))) throw err;
    }
  }
}

/** The exposition text of one family (`# HELP`/`# TYPE` lines and samples) and every name it uses. */
interface Family {
  name: string;
  names: Set<string>;
  lines: string[];
}

const sampleName = (line: string) => /^[a-zA-Z_:][a-zA-Z0-9_:]*/.exec(line)?.[0];

function families(text: string): Family[] {
  const out: Family[] = [];
  let current: Family | undefined;
  for (const line of text.split('\n')) {
    if (line.trim() === '') continue;
    const meta = /^# (?:HELP|TYPE) (\S+)/.exec(line);
    const name = meta ? meta[1]! : sampleName(line);
    if (name === undefined) continue; // other comments
    // A family is a run of lines under one `# TYPE` name; its samples may add _bucket/_sum/_count.
    if (!current || (meta && name !== current.name) || (!meta && !isPartOf(name, current.name))) {
      current = { name, names: new Set(), lines: [] };
      out.push(current);
    }
    current.names.add(name);
    current.lines.push(line);
  }
  return out;
}

const isPartOf = (sample: string, family: string) =>
  sample === family || ['_bucket', '_sum', '_count', '_total', '_created'].some((s) => sample === family + s);

/**
 * `primary` followed by the families of `secondary` that share no name with it: one valid
 * exposition (each family once, all its samples together). Returns the dropped families' names.
 */
export function mergeExpositions(primary: string, secondary: string): { text: string; dropped: string[] } {
  const taken = new Set(families(primary).flatMap((f) => [f.name, ...f.names]));
  const kept: string[] = [];
  const dropped: string[] = [];
  for (const family of families(secondary)) {
    if (taken.has(family.name) || [...family.names].some((n) => taken.has(n))) dropped.push(family.name);
    else kept.push(...family.lines);
  }
  const head = primary.endsWith('\n') || primary === '' ? primary : `${primary}\n`;
  return { text: kept.length > 0 ? `${head}${kept.join('\n')}\n` : head, dropped };
}

export interface WorkerExpositionOptions {
  /** Core's exporter, from `installRuntime`. */
  coreUrl: string;
  timeoutMs?: number;
  /** Counts scrapes of core that failed (the worker's own metrics are served anyway). */
  errors?: Pick<Counter, 'inc'>;
  onError?: (err: unknown) => void;
  onDropped?: (names: string[]) => void;
}

/** The worker's `/metrics` body: prom-client's registry, then core's metrics. */
export async function workerExposition(
  registry: { metrics(): Promise<string> },
  options: WorkerExpositionOptions,
): Promise<string> {
  // Core first, so a failure is already counted in the registry's text of this same scrape.
  const core = await fetch(options.coreUrl, { signal: AbortSignal.timeout(options.timeoutMs ?? 2_000) })
    .then((res) => (res.ok ? res.text() : Promise.reject(new Error(`core metrics answered ${res.status}`))))
    .catch((err: unknown) => {
      options.errors?.inc();
      options.onError?.(err);
      return '';
    });
  const { text, dropped } = mergeExpositions(await registry.metrics(), core);
  if (dropped.length > 0) options.onDropped?.(dropped);
  return text;
}
