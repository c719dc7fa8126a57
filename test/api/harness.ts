/**
 * The API in process against a real Temporal test environment, with a worker running the
 * fixture order workflow, plus helpers to build signed order requests.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { Worker } from '@temporalio/worker';
import type { Express } from 'express';
import { Registry } from 'prom-client';
import request, { type Response } from 'supertest';
import { createApp } from '../../src/api/app';
import { type ApiConfig, apiSchema } from '../../src/api/config';
import { signRequest } from '../../src/api/signing';
import { loadConfig } from '../../src/config';
import type { OrderRequest } from '../../src/workflows/order-types';
import { createLocalEnv, createTimeSkippingEnv } from '../harness/temporal';

export const SIGNING_SECRET = 'test-signing-secret-current';
export const PREVIOUS_SIGNING_SECRET = 'test-signing-secret-previous';
export const TOKENS = {
  approver: 'approver-token-alice-0001',
  otherApprover: 'approver-token-carol-0003',
  operator: 'operator-token-bob-00002',
  viewer: 'viewer-token-dave-000004',
} as const;
export const APPROVAL_THRESHOLD = 100_000;

export function testConfig(overrides: Record<string, string> = {}): ApiConfig {
  return loadConfig(apiSchema, {
    API_SIGNING_SECRETS: `${SIGNING_SECRET},${PREVIOUS_SIGNING_SECRET}`,
    API_TOKENS: [
      `${TOKENS.approver}:approver:alice`,
      `${TOKENS.otherApprover}:approver:carol`,
      `${TOKENS.operator}:operator:ops-bob`,
      `${TOKENS.viewer}:viewer:dave`,
    ].join(','),
    // carol holds an approver token but is not on the policy's approver list.
    ORDER_APPROVERS: 'alice',
    ORDER_APPROVAL_THRESHOLD: String(APPROVAL_THRESHOLD),
    API_TEMPORAL_TIMEOUT_MS: '10000',
    ...overrides,
  });
}

export interface ApiHarness {
  env: TestWorkflowEnvironment;
  app: Express;
  config: ApiConfig;
  metricsRegistry: Registry;
  /** Shuts the worker down (as a crash or a deployment would leave the orders); idempotent. */
  stopWorker(): Promise<void>;
  stop(): Promise<void>;
}

export async function startApiHarness(
  options: { visibility?: boolean; config?: Record<string, string> } = {},
): Promise<ApiHarness> {
  const env = options.visibility ? await createLocalEnv() : await createTimeSkippingEnv();
  const taskQueue = `api-test-${randomUUID()}`;
  const worker = await Worker.create({
    connection: env.nativeConnection,
    taskQueue,
    workflowsPath: require.resolve('../fixtures/api-workflows'),
  });
  const running = worker.run();
  const config = testConfig({ TEMPORAL_TASK_QUEUE: taskQueue, ...options.config });
  const metricsRegistry = new Registry();
  const app = createApp({ client: env.client, config, metricsRegistry });
  const stopWorker = async () => {
    if (worker.getState() === 'RUNNING') worker.shutdown();
    await running;
  };
  return {
    env,
    app,
    config,
    metricsRegistry,
    stopWorker,
    async stop() {
      await stopWorker();
      await env.teardown();
    },
  };
}

export function sampleOrder(overrides: Partial<OrderRequest> = {}): OrderRequest {
  return {
    customer: { id: 'cust-1001', email: 'ada@example.com', name: 'Ada Lovelace' },
    items: [
      { sku: 'SKU-BOOK', quantity: 2, unitPrice: 1_250 },
      { sku: 'SKU-LAMP', quantity: 1, unitPrice: 4_900 },
    ],
    currency: 'EUR',
    shippingAddress: {
      name: 'Ada Lovelace',
      line1: '12 Analytical Row',
      city: 'London',
      postalCode: 'N1 9GU',
      country: 'GB',
    },
    ...overrides,
  };
}

export const newKey = () => randomUUID();

export interface SubmitOptions {
  key?: string | null;
  secret?: string;
  timestamp?: number;
  signature?: string | null;
  contentType?: string;
  requestId?: string;
}

/** POST /orders with a correctly signed body unless the options say otherwise. */
export function submitOrder(app: Express, body: unknown, options: SubmitOptions = {}) {
  const raw = typeof body === 'string' ? body : JSON.stringify(body);
  let req = request(app)
    .post('/orders')
    .set('Content-Type', options.contentType ?? 'application/json');
  const key = options.key === undefined ? newKey() : options.key;
  const signature =
    options.signature === undefined
      ? signRequest(
          { method: 'POST', path: '/orders', idempotencyKey: key ?? '', body: raw },
          options.secret ?? SIGNING_SECRET,
          options.timestamp,
        )
      : options.signature;
  if (signature !== null) req = req.set('X-Signature', signature);
  if (key !== null) req = req.set('Idempotency-Key', key);
  if (options.requestId) req = req.set('X-Request-Id', options.requestId);
  return req.send(raw);
}

export const bearer = (token: string) => ({ Authorization: `Bearer ${token}` });

export const PROBLEM_BASE = 'https://order-saga.example/problems/';

/**
 * The security headers every answer carries, problems included (helmet, set for a JSON API):
 * never sniffed, never framed, no referrer, nothing loads from it; no HSTS on plain HTTP.
 */
export function assertSecurityHeaders(headers: Record<string, string | undefined>): void {
  assert.equal(headers['x-content-type-options'], 'nosniff');
  assert.equal(headers['x-frame-options'], 'DENY');
  assert.equal(headers['referrer-policy'], 'no-referrer');
  const csp = headers['content-security-policy'] ?? '';
  assert.match(csp, /(^|;)\s*default-src 'none'\s*(;|$)/, csp);
  assert.match(csp, /(^|;)\s*frame-ancestors 'none'\s*(;|$)/, csp);
  assert.equal(headers['strict-transport-security'], undefined);
  assert.equal(headers['x-powered-by'], undefined);
}

/** Personal data (and every error) must not be stored by browsers or intermediaries. */
export function assertNotCacheable(res: Pick<Response, 'headers'>): void {
  assert.equal(res.headers['cache-control'], 'no-store');
}

/** Asserts an RFC 9457 answer with the given status and problem slug; returns its body. */
export function assertProblem(res: Response, status: number, slug: string): Record<string, unknown> {
  const body = res.body as Record<string, unknown>;
  assert.equal(res.status, status, JSON.stringify(body));
  assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/);
  assertSecurityHeaders(res.headers);
  assertNotCacheable(res);
  assert.equal(body.type, `${PROBLEM_BASE}${slug}`);
  assert.equal(body.status, status);
  assert.equal(typeof body.title, 'string');
  assert.equal(typeof body.detail, 'string');
  assert.equal(typeof body.instance, 'string');
  assert.equal(body.requestId, res.headers['x-request-id']);
  assert.ok(!/\n\s+at /.test(JSON.stringify(body)), 'no stack trace in a problem');
  return body;
}
