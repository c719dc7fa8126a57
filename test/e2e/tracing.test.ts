/**
 * Tracing end to end (src/tracing.ts): one order through the API, Temporal, the worker, the HTTP
 * clients and the reference services is one connected trace. Every role runs in this process and
 * shares one tracer provider, exporting to memory. With tracing off, nothing is traced at all.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, test } from 'node:test';
import { SpanKind, trace } from '@opentelemetry/api';
import { InMemorySpanExporter, type ReadableSpan } from '@opentelemetry/sdk-trace-base';
import { Client } from '@temporalio/client';
import { historyFromJSON } from '@temporalio/common/lib/proto-utils';
import { OpenTelemetryWorkflowClientInterceptor } from '@temporalio/interceptors-opentelemetry';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { bundleWorkflowCode, Worker } from '@temporalio/worker';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { runWorkersUntil, WORKFLOW_TRACING_MODULE } from '../../src/temporal/workers';
import { startTracing, tracingEnabled, type Tracing } from '../../src/tracing';
import type { OrderState } from '../../src/workflows/definitions';
import { sampleOrder, submitOrder, testConfig } from '../api/harness';
import { createProductionWorkers } from './harness';
import { createTimeSkippingEnv } from '../harness/temporal';
import { setStock, startTestServices, type TestServices } from '../services/harness';

let env: TestWorkflowEnvironment;
let services: TestServices;
before(async () => {
  [env, services] = await Promise.all([createTimeSkippingEnv(), startTestServices()]);
});
after(async () => {
  await Promise.all([env?.teardown(), services?.stop()]);
});

const TRACEPARENT = /^00-([0-9a-f]{32})-([0-9a-f]{16})-01$/;

/** One happy order through the API and a fresh set of workers; its POST answer and final state. */
async function placeOrder(opts: { client: Client; tracing?: Tracing; exporter?: InMemorySpanExporter }) {
  const taskQueue = `tracing-${randomUUID()}`;
  const sku = `SKU-TRACE-${randomUUID().slice(0, 8).toUpperCase()}`;
  await setStock(services.urls.inventory, sku, 5);
  opts.exporter?.reset(); // the stock set-up is a trace of its own, not the order's
  const { workers } = await createProductionWorkers(env, services, { taskQueue, tracing: opts.tracing });
  const app = createApp({ client: opts.client, config: testConfig({ TEMPORAL_TASK_QUEUE: taskQueue }) });
  return runWorkersUntil(workers, async () => {
    const res = await submitOrder(app, sampleOrder({ items: [{ sku, quantity: 1, unitPrice: 2_500 }] }));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const { orderId } = res.body as { orderId: string };
    const final = (await env.client.workflow.getHandle(orderId).result()) as OrderState;
    return { res, final };
  });
}

test('the standard variables switch tracing on and off', () => {
  assert.equal(tracingEnabled({}), false, 'no endpoint: off');
  assert.equal(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://127.0.0.1:4318' }), true);
  assert.equal(tracingEnabled({ OTEL_EXPORTER_OTLP_TRACES_ENDPOINT: 'http://127.0.0.1:4318/v1/traces' }), true);
  assert.equal(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318', OTEL_TRACES_EXPORTER: 'none' }), false);
  assert.equal(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318', OTEL_SDK_DISABLED: 'true' }), false);
  assert.equal(tracingEnabled({ OTEL_EXPORTER_OTLP_ENDPOINT: 'http://x:4318', OTEL_TRACES_EXPORTER: 'otlp' }), true);
  assert.throws(() => tracingEnabled({ OTEL_TRACES_EXPORTER: 'zipkin' }), /OTEL_TRACES_EXPORTER/);
  assert.throws(() => tracingEnabled({ OTEL_EXPORTER_OTLP_PROTOCOL: 'grpc' }), /OTEL_EXPORTER_OTLP_PROTOCOL/);
});

// First: the off case must see a process where nothing was ever registered.
test('with tracing off, an order answers without traceparent and nothing is traced', async () => {
  const exporter = new InMemorySpanExporter();
  assert.equal(startTracing('api', { exporter, env: { OTEL_TRACES_EXPORTER: 'none' } }), undefined);
  assert.equal(startTracing('worker', { env: {} }), undefined);
  const { res, final } = await placeOrder({ client: env.client });
  assert.equal(final.status, 'COMPLETED');
  assert.equal(res.headers.traceparent, undefined);
  assert.equal(trace.getTracer('probe').startSpan('probe').isRecording(), false, 'the global tracer is the no-op one');
  const health = await fetch(`${services.urls.payments}/healthz`);
  assert.equal(health.headers.get('traceparent'), null);
  assert.equal(exporter.getFinishedSpans().length, 0);
});

test('one order through the API, the worker and the services is one connected trace', async () => {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing('api', { exporter });
  assert.ok(tracing, 'tracing starts with an exporter given');
  try {
    const client = new Client({
      connection: env.connection,
      namespace: env.namespace ?? 'default',
      interceptors: { workflow: [new OpenTelemetryWorkflowClientInterceptor()] },
    });
    const { res, final } = await placeOrder({ client, tracing, exporter });
    assert.equal(final.status, 'COMPLETED');
    const [, traceId, rootSpanId] = TRACEPARENT.exec(String(res.headers.traceparent)) ?? [];
    assert.ok(traceId && rootSpanId, `traceparent answered: ${String(res.headers.traceparent)}`);

    // Workflow spans reach the exporter through a sink, after the workflow task that ends them.
    let spans: ReadableSpan[] = [];
    for (let i = 0; i < 100 && !spans.some((s) => s.name === 'RunWorkflow:orderFulfillment'); i++) {
      await new Promise((r) => setTimeout(r, 50));
      spans = exporter.getFinishedSpans();
    }
    const names = spans.map((s) => s.name).sort();
    assert.deepEqual(new Set(spans.map((s) => s.spanContext().traceId)), new Set([traceId]), names.join(', '));

    const byId = new Map(spans.map((s) => [s.spanContext().spanId, s]));
    const roots = spans.filter((s) => !s.parentSpanId || !byId.has(s.parentSpanId));
    assert.deepEqual(
      roots.map((s) => s.name),
      ['POST /orders'],
      'every span but the request has its parent in the trace',
    );
    assert.equal(roots[0]?.spanContext().spanId, rootSpanId, 'the answer names the request span');
    assert.equal(roots[0]?.parentSpanId, undefined);

    /** The one span named `name` (and of `kind`) whose parent is `parent`. */
    const child = (parent: ReadableSpan | undefined, name: string, kind?: SpanKind): ReadableSpan => {
      const found = spans.filter(
        (s) => s.name === name && s.parentSpanId === parent?.spanContext().spanId && (kind ?? s.kind) === s.kind,
      );
      assert.equal(found.length, 1, `one ${name} under ${parent?.name}; spans: ${names.join(', ')}`);
      return found[0]!;
    };
    const post = roots[0];
    assert.equal(post?.kind, SpanKind.SERVER);
    const start = child(post, 'StartWorkflow:orderFulfillment');
    const run = child(start, 'RunWorkflow:orderFulfillment');
    const schedule = child(run, 'StartActivity:capturePayment');
    const execute = child(schedule, 'RunActivity:capturePayment');
    const call = child(execute, 'POST payments', SpanKind.CLIENT);
    const handler = child(call, 'POST /charges', SpanKind.SERVER);
    assert.equal(call.attributes['http.response.status_code'], handler.attributes['http.response.status_code']);
    assert.equal(handler.attributes['http.route'], '/charges');
    // Every call to a downstream (inventory, fraud, payments, carrier, notifications) reached its handler.
    const calls = spans.filter((s) => s.kind === SpanKind.CLIENT);
    assert.ok(calls.length >= 5, names.join(', '));
    for (const c of calls) {
      const handlers = spans.filter((s) => s.kind === SpanKind.SERVER && s.parentSpanId === c.spanContext().spanId);
      assert.equal(handlers.length, 1, `the handler of ${c.name}`);
    }
    assert.equal(handler.resource.attributes['service.name'], 'order-api', 'one provider for every role here');
    // Workflow spans carry the workflow's plain identifiers, not its memo or search attributes.
    assert.equal(run.attributes.workflowId, (res.body as { orderId: string }).orderId);
    assert.equal(run.attributes.memo, undefined);
    assert.equal(run.attributes.searchAttributes, undefined);
  } finally {
    await tracing.shutdown();
  }
});

test("a caller's traceparent is honoured: the request span is its child, in its trace", async () => {
  const exporter = new InMemorySpanExporter();
  const tracing = startTracing('api', { exporter });
  assert.ok(tracing);
  try {
    const app = createApp({ client: env.client, config: testConfig() });
    const traceId = randomUUID().replace(/-/g, '');
    const parentId = randomUUID().replace(/-/g, '').slice(0, 16);
    const res = await request(app).get('/healthz').set('traceparent', `00-${traceId}-${parentId}-01`);
    const [, answeredTrace, spanId] = TRACEPARENT.exec(String(res.headers.traceparent)) ?? [];
    assert.equal(answeredTrace, traceId);
    assert.notEqual(spanId, parentId);
    const [span] = exporter.getFinishedSpans();
    assert.equal(span?.name, 'GET /healthz');
    assert.equal(span?.parentSpanId, parentId);
    assert.equal(span?.spanContext().spanId, spanId);
    // Unmatched routes and refusals carry it too.
    const missing = await request(app).get('/no-such-route');
    assert.equal(missing.status, 404);
    assert.match(String(missing.headers.traceparent), TRACEPARENT);
  } finally {
    await tracing.shutdown();
  }
});

test('the recorded histories replay with the tracing interceptors (tracing can be turned on mid-flight)', async () => {
  const fixtures = path.join(__dirname, '..', 'fixtures', 'histories');
  const files = fs.readdirSync(fixtures).filter((f) => f.endsWith('.json'));
  const silent = { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} };
  const workflowBundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows/order-fulfillment'),
    workflowInterceptorModules: [WORKFLOW_TRACING_MODULE],
    logger: silent,
  });
  const histories = files.map((file) => ({
    workflowId: file,
    history: historyFromJSON(JSON.parse(fs.readFileSync(path.join(fixtures, file), 'utf8'))),
  }));
  const exported: unknown[] = [];
  const sinks = { exporter: { export: { fn: (_info: unknown, spans: unknown[]) => void exported.push(...spans) } } };
  const outcomes: Record<string, string> = {};
  for await (const result of Worker.runReplayHistories({ workflowBundle, sinks, replayName: 'traced' }, histories)) {
    outcomes[result.workflowId] = result.error ? `${result.error.name}: ${result.error.message}` : 'ok';
  }
  assert.deepEqual(outcomes, Object.fromEntries(files.map((f) => [f, 'ok'])));
  assert.equal(exported.length, 0, 'a replay exports no spans again');
});
