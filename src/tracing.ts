/**
 * OpenTelemetry tracing, one trace per order: POST /orders → StartWorkflow → RunWorkflow →
 * StartActivity/RunActivity (Temporal headers, @temporalio/interceptors-opentelemetry) → the HTTP
 * call to a downstream → its handler (W3C `traceparent` over HTTP, both sides written here).
 *
 * Configured with the standard variables and off unless an OTLP endpoint is set: then nothing is
 * registered, the API stays OpenTelemetry's no-op one, and the helpers below return at once.
 */
import {
  context,
  propagation,
  ROOT_CONTEXT,
  SpanKind,
  SpanStatusCode,
  trace,
  type Attributes,
  type Span,
} from '@opentelemetry/api';
import { OTLPTraceExporter } from '@opentelemetry/exporter-trace-otlp-http';
import { envDetectorSync, Resource } from '@opentelemetry/resources';
import {
  BatchSpanProcessor,
  SimpleSpanProcessor,
  type SpanExporter,
  type SpanProcessor,
} from '@opentelemetry/sdk-trace-base';
import { NodeTracerProvider } from '@opentelemetry/sdk-trace-node';
import {
  ATTR_ERROR_TYPE,
  ATTR_HTTP_REQUEST_METHOD,
  ATTR_HTTP_RESPONSE_STATUS_CODE,
  ATTR_HTTP_ROUTE,
  ATTR_SERVER_ADDRESS,
  ATTR_SERVER_PORT,
  ATTR_SERVICE_NAME,
  ATTR_URL_PATH,
  ATTR_URL_SCHEME,
  ATTR_USER_AGENT_ORIGINAL,
} from '@opentelemetry/semantic-conventions';
import type { Request, RequestHandler, Response } from 'express';
import { ConfigError } from './config';

export type TracingRole = 'api' | 'worker' | 'services';

/** `service.name` of each process unless OTEL_SERVICE_NAME (or OTEL_RESOURCE_ATTRIBUTES) says otherwise. */
export const DEFAULT_SERVICE_NAMES: Record<TracingRole, string> = {
  api: 'order-api',
  worker: 'order-worker',
  services: 'order-services',
};

const TRACER_NAME = 'temporal-order-saga';

type Env = Record<string, string | undefined>;

/**
 * Whether tracing is on: an OTLP endpoint is set (or an exporter is given, in tests), the SDK is
 * not disabled and the traces exporter is not `none`. Values this build cannot honour stop the
 * process, like any other bad configuration, rather than silently exporting nothing.
 */
export function tracingEnabled(env: Env = process.env, exporterGiven = false): boolean {
  const value = (name: string) => env[name]?.trim() ?? '';
  if (value('OTEL_SDK_DISABLED').toLowerCase() === 'true') return false;
  const exporters = value('OTEL_TRACES_EXPORTER')
    .toLowerCase()
    .split(',')
    .map((e) => e.trim())
    .filter(Boolean);
  if (exporters.length > 0 && exporters.every((e) => e === 'none')) return false;
  const issues: string[] = [];
  const unsupported = exporters.filter((e) => e !== 'otlp' && e !== 'none');
  if (unsupported.length > 0) {
    issues.push(`OTEL_TRACES_EXPORTER: expected otlp or none (got ${JSON.stringify(value('OTEL_TRACES_EXPORTER'))})`);
  }
  for (const name of ['OTEL_EXPORTER_OTLP_TRACES_PROTOCOL', 'OTEL_EXPORTER_OTLP_PROTOCOL']) {
    if (value(name) !== '' && !value(name).startsWith('http/')) {
      issues.push(
        `${name}: spans are exported over OTLP/HTTP; expected http/protobuf or http/json (got ${JSON.stringify(value(name))})`,
      );
    }
  }
  if (issues.length > 0) throw new ConfigError(issues);
  return (
    exporterGiven || value('OTEL_EXPORTER_OTLP_TRACES_ENDPOINT') !== '' || value('OTEL_EXPORTER_OTLP_ENDPOINT') !== ''
  );
}

export interface Tracing {
  readonly serviceName: string;
  readonly resource: Resource;
  /** Where ended spans go; the worker hands it to the workflow span sink as well. */
  readonly spanProcessor: SpanProcessor;
  /** Exports what is still buffered and unregisters the global provider. Call it before exiting. */
  shutdown(): Promise<void>;
}

export interface TracingOptions {
  /** Decides on/off (default `process.env`); the exporter and resource read `process.env` themselves. */
  env?: Env;
  /** Instead of OTLP (tests: an InMemorySpanExporter); spans are then handed over one by one, at once. */
  exporter?: SpanExporter;
}

let active: Tracing | undefined;

/**
 * Starts tracing for this process when it is configured, else returns undefined and does nothing.
 * Registers the global tracer provider, the AsyncLocalStorage context manager and the propagators
 * of OTEL_PROPAGATORS (W3C trace context and baggage by default). One per process: in tests every
 * role shares it.
 */
export function startTracing(role: TracingRole, options: TracingOptions = {}): Tracing | undefined {
  if (!tracingEnabled(options.env, options.exporter !== undefined)) return undefined;
  if (active) throw new Error(`tracing is already started in this process (as ${active.serviceName})`);
  // OTEL_SERVICE_NAME beats service.name in OTEL_RESOURCE_ATTRIBUTES, which beats the role's default.
  const resource = Resource.default()
    .merge(new Resource({ [ATTR_SERVICE_NAME]: DEFAULT_SERVICE_NAMES[role] }))
    .merge(envDetectorSync.detect());
  // The batch processor reads OTEL_BSP_*; the exporter reads OTEL_EXPORTER_OTLP_* (endpoint, headers, timeout).
  const spanProcessor = options.exporter
    ? new SimpleSpanProcessor(options.exporter)
    : new BatchSpanProcessor(new OTLPTraceExporter());
  const provider = new NodeTracerProvider({ resource, spanProcessors: [spanProcessor] });
  provider.register();
  const handle: Tracing = {
    serviceName: String(resource.attributes[ATTR_SERVICE_NAME]),
    resource,
    spanProcessor,
    async shutdown() {
      if (active !== handle) return;
      active = undefined;
      try {
        await provider.shutdown();
      } finally {
        trace.disable();
        propagation.disable();
        context.disable();
      }
    },
  };
  active = handle;
  return handle;
}

const tracer = () => trace.getTracer(TRACER_NAME);

/** `traceparent` of a span, for answers: callers can find their request's trace. */
function traceparentOf(span: Span): string {
  const { traceId, spanId, traceFlags } = span.spanContext();
  return `00-${traceId}-${spanId}-${(traceFlags & 0xff).toString(16).padStart(2, '0')}`;
}

/**
 * Express middleware: a server span per request, the child of the caller's `traceparent` if it
 * sends one, and the active span of everything that handles the request. Every answer carries
 * the span's `traceparent`. Mount it first. Nothing happens while tracing is off.
 */
/** Probes and scrapes arrive every few seconds: a trace each would bury the orders' traces. */
const PROBES = new Set(['/healthz', '/readyz', '/metrics']);

export function traceRequests(): RequestHandler {
  return (req, res, next) => {
    if (!active) return next();
    // A probe is traced only when its caller is tracing it (sent a traceparent).
    if (PROBES.has(req.path) && req.get('traceparent') === undefined) return next();
    const parent = propagation.extract(ROOT_CONTEXT, req.headers);
    const attributes: Attributes = {
      [ATTR_HTTP_REQUEST_METHOD]: req.method,
      [ATTR_URL_PATH]: req.path,
      [ATTR_URL_SCHEME]: req.protocol,
      [ATTR_SERVER_ADDRESS]: req.hostname,
    };
    const agent = req.get('user-agent');
    if (agent) attributes[ATTR_USER_AGENT_ORIGINAL] = agent;
    const span = tracer().startSpan(req.method, { kind: SpanKind.SERVER, attributes }, parent);
    res.setHeader('traceparent', traceparentOf(span));
    let ended = false;
    const end = () => {
      if (ended) return;
      ended = true;
      endServerSpan(span, req, res);
    };
    res.once('finish', end);
    res.once('close', end);
    const ctx = trace.setSpan(parent, span);
    // Body parsers call `next` from stream events, which run outside this context: bind them to it.
    context.bind(ctx, req);
    context.bind(ctx, res);
    context.with(ctx, next);
  };
}

function endServerSpan(span: Span, req: Request, res: Response): void {
  const route = (req.route as { path?: unknown } | undefined)?.path;
  if (typeof route === 'string') {
    span.updateName(`${req.method} ${req.baseUrl}${route}`);
    span.setAttribute(ATTR_HTTP_ROUTE, `${req.baseUrl}${route}`);
  }
  if (res.headersSent) {
    span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, res.statusCode);
    // A server's 4xx is the caller's mistake, not a failure of this span (semantic conventions).
    if (res.statusCode >= 500) {
      span.setAttribute(ATTR_ERROR_TYPE, String(res.statusCode));
      span.setStatus({ code: SpanStatusCode.ERROR });
    }
  } else {
    span.setAttribute(ATTR_ERROR_TYPE, 'connection_closed');
    span.setStatus({ code: SpanStatusCode.ERROR, message: 'connection closed before the answer was sent' });
  }
  span.end();
}

export interface ClientSpan {
  /** `traceparent` (and `tracestate`, baggage) to send with the request. */
  readonly headers: Record<string, string>;
  /** Ends the span with the answer's status, or the error that kept it from coming. */
  end(outcome: { status: number } | { error: unknown }): void;
}

/**
 * A client span for one outbound HTTP call, the child of the active span (in an activity: its
 * RunActivity span). Named after the downstream, not the URL: a webhook URL can hold a secret.
 * Undefined while tracing is off.
 */
export function startClientSpan(downstream: string, method: string, baseUrl: string): ClientSpan | undefined {
  if (!active) return undefined;
  const attributes: Attributes = { [ATTR_HTTP_REQUEST_METHOD]: method, 'peer.service': downstream };
  try {
    const url = new URL(baseUrl);
    attributes[ATTR_SERVER_ADDRESS] = url.hostname;
    attributes[ATTR_SERVER_PORT] = Number(url.port || (url.protocol === 'https:' ? 443 : 80));
  } catch {
    // A bad URL fails the call itself, with its own error; the span just goes without the address.
  }
  const span = tracer().startSpan(`${method} ${downstream}`, { kind: SpanKind.CLIENT, attributes });
  const headers: Record<string, string> = {};
  propagation.inject(trace.setSpan(context.active(), span), headers);
  return {
    headers,
    end(outcome) {
      if ('status' in outcome) {
        span.setAttribute(ATTR_HTTP_RESPONSE_STATUS_CODE, outcome.status);
        if (outcome.status >= 400) {
          span.setAttribute(ATTR_ERROR_TYPE, String(outcome.status));
          span.setStatus({ code: SpanStatusCode.ERROR });
        }
      } else {
        const { error } = outcome;
        span.setAttribute(ATTR_ERROR_TYPE, error instanceof Error ? error.name : 'error');
        span.setStatus({ code: SpanStatusCode.ERROR, message: error instanceof Error ? error.message : String(error) });
      }
      span.end();
    },
  };
}
