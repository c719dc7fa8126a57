import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { Express } from 'express';
import request from 'supertest';
import {
  type ApiHarness,
  bearer,
  newKey,
  sampleOrder,
  startApiHarness,
  submitOrder,
  TOKENS,
  assertProblem,
} from './harness';

let h: ApiHarness;
before(async () => {
  h = await startApiHarness();
});
after(async () => {
  await h?.stop();
});

/** Every route the Express app serves, as OpenAPI path templates with their methods. */
function appRoutes(app: Express): string[] {
  const router = (
    app as unknown as { router: { stack: { route?: { path: string; methods: Record<string, boolean> } }[] } }
  ).router;
  return router.stack
    .flatMap((layer) =>
      layer.route
        ? Object.keys(layer.route.methods).map(
            (m) => `${m.toUpperCase()} ${layer.route!.path.replace(/:(\w+)/g, '{$1}')}`,
          )
        : [],
    )
    .sort();
}

describe('probes', () => {
  test('GET /healthz answers 200', async () => {
    const res = await request(h.app).get('/healthz');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok' });
  });

  test('GET /readyz answers 200 when Temporal answers and the namespace exists', async () => {
    const res = await request(h.app).get('/readyz');
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.deepEqual(res.body, { status: 'ready', namespace: 'default' });
  });
});

describe('GET /metrics', () => {
  test('counts requests by route template, method and status, with a latency histogram', async () => {
    const orderId = `order-${newKey()}`;
    await request(h.app).get(`/orders/${orderId}`).set(bearer(TOKENS.viewer));
    await request(h.app).get('/no/such/route');
    assert.equal((await submitOrder(h.app, sampleOrder())).status, 202);
    const res = await request(h.app).get('/metrics');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /^text\/plain/);
    const text = res.text;
    assert.match(text, /http_requests_total\{method="GET",route="\/orders\/:id",status="404"\} 1/);
    assert.match(text, /http_requests_total\{method="GET",route="unmatched",status="404"\} 1/);
    assert.match(
      text,
      /http_request_duration_seconds_bucket\{le="[^"]+",method="POST",route="\/orders",status="202"\}/,
    );
    assert.match(text, /orders_submitted_total\{outcome="started"\} 1/);
    assert.ok(!text.includes(orderId), 'raw paths never become labels');
  });
});

describe('GET /openapi.json', () => {
  test('is a valid OpenAPI 3.1 document that describes every route', async () => {
    const res = await request(h.app).get('/openapi.json');
    assert.equal(res.status, 200);
    const document = res.body as { openapi: string; paths: Record<string, Record<string, unknown>> };
    assert.equal(document.openapi, '3.1.0');
    await SwaggerParser.validate(structuredClone(document) as never);
    const documented = Object.entries(document.paths)
      .flatMap(([path, operations]) => Object.keys(operations).map((method) => `${method.toUpperCase()} ${path}`))
      .sort();
    assert.deepEqual(documented, appRoutes(h.app));
    assert.ok(documented.length >= 10);
  });

  test('the order request schema comes from zod: strict, integer money, ISO codes', async () => {
    const res = await request(h.app).get('/openapi.json');
    const schema = (res.body as { components: { schemas: Record<string, Record<string, unknown>> } }).components.schemas
      .OrderRequest!;
    assert.equal(schema.additionalProperties, false);
    const properties = schema.properties as Record<string, Record<string, unknown>>;
    const currencies = properties.currency?.enum as string[];
    assert.ok(currencies.includes('EUR') && currencies.includes('JPY'));
    assert.ok(!currencies.includes('ZZZ') && !currencies.includes('XXX'));
    const item = (properties.items?.items as { properties: Record<string, { type: string }> }).properties;
    assert.equal(item.unitPrice?.type, 'integer');
  });
});

describe('errors and request ids', () => {
  test('an unknown route is a 404 problem', async () => {
    const res = await request(h.app).get('/nowhere');
    const problem = assertProblem(res, 404, 'not-found');
    assert.equal(problem.instance, '/nowhere');
  });

  test('a valid incoming X-Request-Id is echoed; an unsafe one is replaced', async () => {
    const kept = await request(h.app).get('/healthz').set('X-Request-Id', 'gateway-req-12345');
    assert.equal(kept.headers['x-request-id'], 'gateway-req-12345');
    const replaced = await request(h.app).get('/healthz').set('X-Request-Id', 'bad id\twith "quotes"');
    assert.match(replaced.headers['x-request-id'] ?? '', /^[0-9a-f-]{36}$/);
  });
});
