// Listing needs real visibility (list queries on custom search attributes): a local dev server.
import assert from 'node:assert/strict';
import { createHash } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import {
  Client,
  Connection,
  type ConnectionOptions,
  defaultGrpcRetryOptions,
  makeGrpcRetryInterceptor,
} from '@temporalio/client';
import type { Express } from 'express';
import request from 'supertest';
import { createApp } from '../../src/api/app';
import { encodeCursor, ordersQuery } from '../../src/api/visibility-query';
import {
  type ApiHarness,
  bearer,
  newKey,
  sampleOrder,
  startApiHarness,
  submitOrder,
  TOKENS,
  assertNotCacheable,
  assertProblem,
  assertSecurityHeaders,
} from './harness';

interface OrderPage {
  orders: {
    orderId: string;
    status: string | null;
    customerId: string | null;
    total: number | null;
    currency: string | null;
    workflowStatus: string;
  }[];
  nextCursor: string | null;
}

let h: ApiHarness;
/**
 * The API on a connection of its own that counts the ListWorkflowExecutions attempts reaching
 * Temporal, and can turn their answer into a given gRPC status. The SDK's retry interceptor
 * stays in front of it, as in production (src/temporal/connection.ts keeps the default), so a
 * status the SDK retries shows up as several attempts.
 */
let probe: { app: Express; attempts: number; failWith: number | null; connection: Connection };
const placed: Record<string, string[]> = { 'cust-list-a': [], 'cust-list-b': [] };
let awaitingApproval = '';

const list = (query: Record<string, string | number>, app: Express = h.app) =>
  request(app).get('/orders').query(query).set(bearer(TOKENS.viewer));

type GrpcInterceptor = NonNullable<ConnectionOptions['interceptors']>[number];

const listingProbe: GrpcInterceptor = (options, nextCall) => {
  // nextCall builds grpc-js's InterceptingCall; its type only promises the interface.
  const call = nextCall(options) as ReturnType<GrpcInterceptor>;
  if (!options.method_definition.path.endsWith('/ListWorkflowExecutions')) return call;
  probe.attempts++;
  const failWith = probe.failWith;
  if (failWith === null) return call;
  const start = call.start.bind(call);
  call.start = (metadata, listener) =>
    start(metadata, {
      onReceiveMetadata: (m) => listener?.onReceiveMetadata?.(m),
      onReceiveMessage: (m) => listener?.onReceiveMessage?.(m),
      onReceiveStatus: (status) => {
        // Rewritten in place: the retry interceptor must see the very status object it would get.
        status.code = failWith;
        status.details = 'injected by the test';
        listener?.onReceiveStatus?.(status);
      },
    });
  return call;
};

async function startProbe(): Promise<typeof probe> {
  const connection = await Connection.connect({
    address: h.env.address,
    interceptors: [makeGrpcRetryInterceptor(defaultGrpcRetryOptions()), listingProbe],
  });
  const client = new Client({ connection, namespace: h.env.namespace ?? 'default' });
  return { app: createApp({ client, config: h.config }), attempts: 0, failWith: null, connection };
}

/** Sends a request to the probe app; returns the answer, how long it took and how many listing attempts it made. */
async function probed(query: Record<string, string | number>) {
  probe.attempts = 0;
  const started = performance.now();
  const res = await list(query, probe.app);
  return { res, ms: performance.now() - started, attempts: probe.attempts };
}

/** The cursor's bytes with one bit flipped, re-encoded: still well-formed base64url. */
function flipBit(cursor: string, byte: number): string {
  const bytes = Buffer.from(cursor, 'base64url');
  bytes[byte]! ^= 0x01;
  return bytes.toString('base64url');
}

function assertCursorRefused(res: request.Response): void {
  const problem = assertProblem(res, 400, 'invalid-request');
  assert.deepEqual(
    (problem.errors as { field: string }[]).map((e) => e.field),
    ['cursor'],
  );
}

before(async () => {
  h = await startApiHarness({ visibility: true });
  probe = await startProbe();
  const place = async (customerId: string, unitPrice = 1_000) => {
    const res = await submitOrder(
      h.app,
      sampleOrder({
        customer: { id: customerId, email: 'list@example.com' },
        items: [{ sku: 'SKU-X', quantity: 1, unitPrice }],
      }),
      { key: newKey() },
    );
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const { orderId } = res.body as { orderId: string };
    placed[customerId]!.push(orderId);
    return orderId;
  };
  for (let i = 0; i < 4; i++) await place('cust-list-a');
  awaitingApproval = await place('cust-list-a', 500_000);
  await place('cust-list-b');
  // Visibility is eventually consistent: wait until every order shows its workflow-set status.
  for (let attempt = 0; attempt < 100; attempt++) {
    const res = await list({ customerId: 'cust-list-a', pageSize: 100 });
    const page = res.body as OrderPage;
    if (res.status === 200 && page.orders.length === 5 && page.orders.every((o) => o.status !== 'RECEIVED')) return;
    await new Promise((resolve) => setTimeout(resolve, 100));
  }
  assert.fail('orders never became visible');
});
after(async () => {
  await probe?.connection.close();
  await h?.stop();
});

describe('GET /orders', () => {
  test('pages through one customer with an opaque cursor', async () => {
    const seen: string[] = [];
    let cursor: string | null = null;
    let pages = 0;
    do {
      const res = await list({ customerId: 'cust-list-a', pageSize: 2, ...(cursor ? { cursor } : {}) });
      assert.equal(res.status, 200, JSON.stringify(res.body));
      const page = res.body as OrderPage;
      assert.ok(page.orders.length <= 2);
      seen.push(...page.orders.map((o) => o.orderId));
      cursor = page.nextCursor;
      if (cursor) assert.match(cursor, /^[A-Za-z0-9_-]+$/);
      pages++;
    } while (cursor && pages < 10);
    assert.equal(pages, 3);
    assert.deepEqual([...seen].sort(), [...placed['cust-list-a']!].sort());
  });

  test('filters by status and customer, with search attribute values in the summary', async () => {
    const res = await list({ status: 'AWAITING_APPROVAL', customerId: 'cust-list-a' });
    assert.equal(res.status, 200);
    const page = res.body as OrderPage;
    assert.deepEqual(
      page.orders.map((o) => ({
        id: o.orderId,
        status: o.status,
        customer: o.customerId,
        total: o.total,
        currency: o.currency,
        run: o.workflowStatus,
      })),
      [
        {
          id: awaitingApproval,
          status: 'AWAITING_APPROVAL',
          customer: 'cust-list-a',
          total: 500_000,
          currency: 'EUR',
          run: 'RUNNING',
        },
      ],
    );
    assert.equal(page.nextCursor, null);
    const byStatus = (await list({ status: 'INVENTORY_LOCKED', pageSize: 100 })).body as OrderPage;
    assert.deepEqual(
      byStatus.orders.map((o) => o.orderId).sort(),
      [...placed['cust-list-a']!.filter((id) => id !== awaitingApproval), ...placed['cust-list-b']!].sort(),
    );
  });

  test('a cursor is bound to its filters', async () => {
    const first = (await list({ customerId: 'cust-list-a', pageSize: 2 })).body as OrderPage;
    assert.ok(first.nextCursor);
    assertProblem(
      await list({ customerId: 'cust-list-b', pageSize: 2, cursor: first.nextCursor }),
      400,
      'invalid-request',
    );
    assertProblem(await list({ cursor: 'bm90LWEtY3Vyc29y' }), 400, 'invalid-request');
  });

  test('a cursor from other filters is refused at once, without calling Temporal', async () => {
    const first = (await list({ customerId: 'cust-list-a', pageSize: 2 }, probe.app)).body as OrderPage;
    assert.ok(first.nextCursor);
    const otherFilters: Record<string, string>[] = [
      { customerId: 'cust-list-b' },
      {},
      { customerId: 'cust-list-a', status: 'CANCELLED' },
    ];
    for (const filters of otherFilters) {
      const { res, attempts } = await probed({ ...filters, pageSize: 2, cursor: first.nextCursor });
      assertCursorRefused(res);
      assert.equal(attempts, 0, JSON.stringify(filters));
    }
    // The page size is not part of the binding: a client may change it between pages.
    const { res } = await probed({ customerId: 'cust-list-a', pageSize: 3, cursor: first.nextCursor });
    assert.equal(res.status, 200, JSON.stringify(res.body));
  });

  test('a forged cursor is refused at once with 400, without calling Temporal', async () => {
    const filters = { customerId: 'cust-list-a' };
    const query = ordersQuery(filters);
    const token = Buffer.from('{"forged":"page token"}');
    const forgeries: Record<string, string> = {
      // The old construction: an unkeyed hash of the query, which anyone can compute.
      'unkeyed tag': Buffer.from(
        JSON.stringify({
          q: createHash('sha256').update(query).digest('base64url').slice(0, 16),
          t: token.toString('base64'),
        }),
      ).toString('base64url'),
      // The right shape and filters, authenticated with a secret that is not the server's.
      'another secret': encodeCursor('some-other-secret-0123456789-0123456789', query, token),
      'not a cursor': Buffer.from('not a cursor at all').toString('base64url'),
      empty: 'AA',
    };
    for (const [name, cursor] of Object.entries(forgeries)) {
      const { res, ms, attempts } = await probed({ ...filters, cursor });
      assertCursorRefused(res);
      assert.equal(attempts, 0, `${name}: Temporal was called`);
      process.stderr.write(`forged cursor (${name}): ${res.status} in ${ms.toFixed(1)} ms\n`);
      assert.ok(ms < 2_000, `${name}: took ${ms} ms`);
    }
  });

  test('no bit of a genuine cursor can be altered: the MAC covers the page token and the filters', async () => {
    const filters = { customerId: 'cust-list-a', pageSize: 2 };
    const first = (await list(filters, probe.app)).body as OrderPage;
    assert.ok(first.nextCursor);
    const length = Buffer.from(first.nextCursor, 'base64url').length;
    for (let byte = 0; byte < length; byte++) {
      const { res, attempts } = await probed({ ...filters, cursor: flipBit(first.nextCursor, byte) });
      assertCursorRefused(res);
      assert.equal(attempts, 0, `byte ${byte}: Temporal was called`);
    }
    const genuine = await probed({ ...filters, cursor: first.nextCursor });
    assert.equal(genuine.res.status, 200, JSON.stringify(genuine.res.body));
    assert.equal(genuine.attempts, 1);
  });

  test('Temporal refusing a page token (INVALID_ARGUMENT) is a 400 at once, not retried', async () => {
    const filters = { customerId: 'cust-list-a', pageSize: 2 };
    const first = (await list(filters, probe.app)).body as OrderPage;
    assert.ok(first.nextCursor);
    probe.failWith = 3; // INVALID_ARGUMENT: e.g. a page token the store no longer accepts
    try {
      const { res, ms, attempts } = await probed({ ...filters, cursor: first.nextCursor });
      const problem = assertProblem(res, 400, 'invalid-request');
      assert.deepEqual(problem.errors, [{ field: 'cursor', message: 'rejected by the order store' }]);
      assert.equal(attempts, 1, 'INVALID_ARGUMENT is not retried');
      process.stderr.write(`page token refused by Temporal: ${res.status} in ${ms.toFixed(1)} ms\n`);
      assert.ok(ms < 2_000, `took ${ms} ms`);
    } finally {
      probe.failWith = null;
    }
  });

  test('invalid query parameters are 400 with field errors; values cannot inject query syntax', async () => {
    const cases: [Record<string, string | number>, string][] = [
      [{ status: 'SHIPPED' }, 'status'],
      [{ pageSize: 0 }, 'pageSize'],
      [{ pageSize: 1000 }, 'pageSize'],
      [{ customerId: "x' OR WorkflowType != 'y" }, 'customerId'],
      [{ colour: 'blue' }, '(query)'],
    ];
    for (const [query, field] of cases) {
      const problem = assertProblem(await list(query), 400, 'invalid-request');
      const fields = (problem.errors as { field: string }[]).map((e) => e.field);
      assert.deepEqual(fields, [field], JSON.stringify(query));
    }
    const repeated = await request(h.app).get('/orders?status=COMPLETED&status=CANCELLED').set(bearer(TOKENS.viewer));
    assertProblem(repeated, 400, 'invalid-request');
  });

  test('needs a token', async () => {
    assertProblem(await request(h.app).get('/orders'), 401, 'unauthenticated');
  });

  test('a page holds personal data: Cache-Control no-store, and the security headers', async () => {
    const res = await list({ customerId: 'cust-list-a', pageSize: 2 });
    assert.equal(res.status, 200);
    assertNotCacheable(res);
    assertSecurityHeaders(res.headers);
  });
});

describe('GET /readyz on a real server', () => {
  test('answers 503 when the namespace does not exist', async () => {
    const app = createApp({
      client: new Client({ connection: h.env.connection, namespace: 'no-such-namespace' }),
      config: h.config,
    });
    const res = await request(app).get('/readyz');
    const problem = assertProblem(res, 503, 'not-ready');
    assert.match(String(problem.detail), /no-such-namespace/);
    assert.equal(res.headers['retry-after'], '5');
  });
});
