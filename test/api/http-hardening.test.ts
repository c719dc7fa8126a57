/**
 * The HTTP edge: every way a client can get a request wrong — a corrupt or unsupported
 * Content-Encoding, a path that is not valid percent-encoding, a method the path does not
 * serve, bytes Node's HTTP parser refuses — is a 4xx problem, never a 500; and every answer
 * carries the security headers of a JSON API, personal data marked not to be stored.
 */
import assert from 'node:assert/strict';
import type { Server } from 'node:http';
import net, { type AddressInfo } from 'node:net';
import { after, before, describe, test } from 'node:test';
import zlib from 'node:zlib';
import pino from 'pino';
import request from 'supertest';
import { createApiServer } from '../../src/api/http-server';
import { signRequest } from '../../src/api/signing';
import type { OrderRequest } from '../../src/workflows/order-types';
import {
  type ApiHarness,
  assertNotCacheable,
  assertProblem,
  assertSecurityHeaders,
  bearer,
  newKey,
  sampleOrder,
  SIGNING_SECRET,
  startApiHarness,
  submitOrder,
  TOKENS,
} from './harness';

const BODY_LIMIT = 4096;

let h: ApiHarness;
before(async () => {
  h = await startApiHarness({ config: { API_BODY_LIMIT_BYTES: String(BODY_LIMIT) } });
});
after(async () => {
  await h?.stop();
});

async function placeOrder(overrides: Partial<OrderRequest> = {}): Promise<string> {
  const res = await submitOrder(h.app, sampleOrder(overrides), { key: newKey() });
  assert.equal(res.status, 202, JSON.stringify(res.body));
  return (res.body as { orderId: string }).orderId;
}

/** A POST with a JSON content type and the given Content-Encoding, body bytes sent as they are. */
function postEncoded(url: string, encoding: string, body: Buffer | string, headers: Record<string, string> = {}) {
  return (
    request(h.app)
      .post(url)
      .set({ 'Content-Type': 'application/json', 'Content-Encoding': encoding, ...headers })
      // superagent would otherwise serialize a Buffer as JSON: send the bytes themselves.
      .serialize((bytes: Buffer | string) => bytes as string)
      .send(body)
  );
}

/** Every route that reads a body, with the credentials it needs to get as far as reading it. */
const BODY_ROUTES: [url: string, headers: Record<string, string>][] = [
  ['/orders', {}],
  [`/orders/order-${newKey()}/approval`, bearer(TOKENS.approver)],
  [`/orders/order-${newKey()}/cancel`, bearer(TOKENS.operator)],
  [`/orders/order-${newKey()}/retry`, bearer(TOKENS.operator)],
  ['/admin/dead-letters/drain', bearer(TOKENS.operator)],
];

describe('request bodies with a Content-Encoding', () => {
  const json = JSON.stringify({ reason: 'a body long enough to be worth compressing, '.repeat(4) });
  const gzip = zlib.gzipSync(json);
  const deflate = zlib.deflateSync(json);
  const brotli = zlib.brotliCompressSync(json);
  const corrupt: [encoding: string, what: string, body: Buffer | string][] = [
    ['gzip', 'plain JSON labelled gzip', '{}'],
    ['deflate', 'plain JSON labelled deflate', '{}'],
    ['br', 'plain JSON labelled br', '{}'],
    ['GZIP', 'plain JSON labelled GZIP', '{}'],
    ['gzip', 'a truncated gzip stream', gzip.subarray(0, Math.floor(gzip.length / 2))],
    ['gzip', 'a gzip stream with a corrupt checksum', Buffer.concat([gzip.subarray(0, -8), Buffer.alloc(8, 0xff)])],
    ['deflate', 'a truncated deflate stream', deflate.subarray(0, Math.floor(deflate.length / 2))],
    ['br', 'a truncated brotli stream', brotli.subarray(0, Math.floor(brotli.length / 2))],
    ['gzip', 'a gzip stream of a brotli body', brotli],
  ];

  for (const [encoding, what, body] of corrupt) {
    test(`${what} is 400 malformed-body on every route that reads a body`, async () => {
      for (const [url, headers] of BODY_ROUTES) {
        const problem = assertProblem(await postEncoded(url, encoding, body, headers), 400, 'malformed-body');
        assert.match(String(problem.detail), /Content-Encoding/, url);
      }
    });
  }

  test('an unsupported content coding is 415 with the codings accepted', async () => {
    for (const encoding of ['compress', 'x-gzip', 'identity, gzip', 'gzip;q=1', 'exotic']) {
      for (const [url, headers] of BODY_ROUTES) {
        const res = await postEncoded(url, encoding, '{}', headers);
        assertProblem(res, 415, 'unsupported-media-type');
        assert.match(res.headers['accept-encoding'] ?? '', /^gzip, deflate, br\b/, `${encoding} ${url}`);
      }
    }
  });

  test('a body over the limit once decompressed is 413, however small on the wire', async () => {
    const bomb = zlib.gzipSync(JSON.stringify({ reason: ' '.repeat(BODY_LIMIT * 64) }));
    assert.ok(bomb.length < BODY_LIMIT);
    for (const [url, headers] of BODY_ROUTES)
      assertProblem(await postEncoded(url, 'gzip', bomb, headers), 413, 'payload-too-large');
  });

  test('a well-formed compressed body still works: the signature covers the decompressed bytes', async () => {
    const raw = JSON.stringify(sampleOrder());
    const key = newKey();
    const res = await postEncoded('/orders', 'gzip', zlib.gzipSync(raw), {
      'X-Signature': signRequest({ method: 'POST', path: '/orders', idempotencyKey: key, body: raw }, SIGNING_SECRET),
      'Idempotency-Key': key,
    });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const orderId = await placeOrder();
    const cancelled = await postEncoded(`/orders/${orderId}/cancel`, 'br', zlib.brotliCompressSync(json), {
      ...bearer(TOKENS.operator),
    });
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
  });
});

describe('paths that are not valid percent-encoding', () => {
  const paths: [method: 'get' | 'post', path: string][] = [
    ['get', '/orders/%'],
    ['get', '/orders/order-%E0%A4%A'],
    ['get', '/orders/%C0%AF'],
    ['post', '/orders/%ZZ/cancel'],
    ['post', '/orders/%/approval'],
    ['post', '/orders/order-%FF/retry'],
  ];

  test('are 400 invalid-request, with or without a token', async () => {
    for (const [method, path] of paths) {
      for (const token of [null, TOKENS.operator]) {
        let req = request(h.app)[method](path);
        if (token) req = req.set(bearer(token));
        const problem = assertProblem(await (method === 'post' ? req.send({}) : req), 400, 'invalid-request');
        assert.equal(problem.instance, path, 'the path reached the API as sent');
        assert.match(String(problem.detail), /percent-encod/);
      }
    }
  });

  test('a valid percent-encoded id is decoded as before', async () => {
    const orderId = await placeOrder();
    const encoded = orderId.replace('order-', 'order%2D');
    const res = await request(h.app).get(`/orders/${encoded}`).set(bearer(TOKENS.viewer));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    assert.equal((res.body as { orderId: string }).orderId, orderId);
  });
});

describe('methods a path does not serve', () => {
  const cases: [method: string, path: string, allow: string][] = [
    ['TRACE', '/orders', 'GET, HEAD, POST'],
    ['PUT', '/orders', 'GET, HEAD, POST'],
    ['OPTIONS', '/orders', 'GET, HEAD, POST'],
    ['DELETE', '/orders/order-0f4e2c1a-aaaa-4bbb-8ccc-123456789abc', 'GET, HEAD'],
    ['PATCH', '/orders/anything', 'GET, HEAD'],
    ['GET', '/orders/order-x/cancel', 'POST'],
    ['DELETE', '/orders/order-x/approval', 'POST'],
    ['PUT', '/orders/order-x/retry/', 'POST'],
    ['PUT', '/healthz', 'GET, HEAD'],
    ['POST', '/readyz', 'GET, HEAD'],
    ['DELETE', '/openapi.json', 'GET, HEAD'],
    ['GET', '/admin/dead-letters/drain', 'POST'],
  ];

  for (const [method, path, allow] of cases) {
    test(`${method} ${path} is 405 with Allow: ${allow}`, async () => {
      const agent = request(h.app) as unknown as Record<string, (url: string) => request.Test>;
      const res = await agent[method.toLowerCase()]!(path).set(bearer(TOKENS.operator));
      assertProblem(res, 405, 'method-not-allowed');
      assert.equal(res.headers.allow, allow);
    });
  }

  test('needs no credentials (the methods are public, as in /openapi.json)', async () => {
    const res = await request(h.app).delete('/orders/order-x');
    assertProblem(res, 405, 'method-not-allowed');
    assert.equal(res.headers.allow, 'GET, HEAD');
  });

  test('an unknown path is still 404, whatever the method', async () => {
    assertProblem(await request(h.app).delete('/nowhere'), 404, 'not-found');
    assertProblem(await request(h.app).put('/orders/order-x/refund'), 404, 'not-found');
  });

  test('HEAD is served wherever GET is', async () => {
    const res = await request(h.app).head('/healthz');
    assert.equal(res.status, 200);
  });
});

describe('security headers', () => {
  test('every answer carries them, success or problem', async () => {
    for (const path of ['/healthz', '/readyz', '/metrics', '/openapi.json', '/nowhere']) {
      const res = await request(h.app).get(path);
      assertSecurityHeaders(res.headers);
    }
  });

  test('order data is never stored: GET /orders/:id, POST /orders and steering answers say no-store', async () => {
    const key = newKey();
    const started = await submitOrder(h.app, sampleOrder(), { key });
    assert.equal(started.status, 202);
    assertNotCacheable(started);
    const replayed = await submitOrder(h.app, sampleOrder(), { key });
    assert.equal(replayed.status, 200);
    assertNotCacheable(replayed);

    const orderId = (started.body as { orderId: string }).orderId;
    const read = await request(h.app).get(`/orders/${orderId}`).set(bearer(TOKENS.viewer));
    assert.equal(read.status, 200);
    assertNotCacheable(read);

    const big = await placeOrder({ items: [{ sku: 'SKU-PIANO', quantity: 2, unitPrice: 250_000 }] });
    // A read answers once the order's first workflow task has run: then it is waiting for approval.
    const waiting = await request(h.app).get(`/orders/${big}`).set(bearer(TOKENS.viewer));
    assert.equal((waiting.body as { status: string }).status, 'AWAITING_APPROVAL');
    const approved = await request(h.app)
      .post(`/orders/${big}/approval`)
      .set(bearer(TOKENS.approver))
      .send({ decision: 'approve' });
    assert.equal(approved.status, 200, JSON.stringify(approved.body));
    assertNotCacheable(approved);

    const cancelled = await request(h.app)
      .post(`/orders/${orderId}/cancel`)
      .set(bearer(TOKENS.operator))
      .send({ reason: 'customer changed their mind' });
    assert.equal(cancelled.status, 200, JSON.stringify(cancelled.body));
    assertNotCacheable(cancelled);

    const parked = await placeOrder({ customer: { id: 'cust-parked', email: 'parked@example.com' } });
    const stuck = await request(h.app).get(`/orders/${parked}`).set(bearer(TOKENS.viewer));
    assert.equal((stuck.body as { status: string }).status, 'NEEDS_ATTENTION');
    const retried = await request(h.app).post(`/orders/${parked}/retry`).set(bearer(TOKENS.operator)).send({});
    assert.equal(retried.status, 200, JSON.stringify(retried.body));
    assertNotCacheable(retried);
  });
});

interface RawResponse {
  status: number;
  headers: Record<string, string>;
  body: Record<string, unknown>;
}

/** Writes raw bytes to the server and reads the answer until the server closes the connection. */
function exchange(server: Server, bytes: string): Promise<RawResponse> {
  const { port } = server.address() as AddressInfo;
  return new Promise((resolve, reject) => {
    const socket = net.connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    // The server may reset a connection it refused while bytes are still arriving; what it wrote counts.
    socket.on('error', () => undefined);
    socket.on('close', () => {
      const text = Buffer.concat(chunks).toString('utf8');
      const [head = '', ...rest] = text.split('\r\n\r\n');
      const [statusLine = '', ...lines] = head.split('\r\n');
      const status = Number(/^HTTP\/1\.1 (\d{3}) /.exec(statusLine)?.[1]);
      if (!status) {
        reject(new Error(`no HTTP answer: ${JSON.stringify(text.slice(0, 200))}`));
        return;
      }
      const headers = Object.fromEntries(
        lines.map((line) => [line.slice(0, line.indexOf(':')).toLowerCase(), line.slice(line.indexOf(':') + 1).trim()]),
      );
      const body = rest.join('\r\n\r\n');
      resolve({ status, headers, body: (body ? JSON.parse(body) : {}) as Record<string, unknown> });
    });
    socket.write(bytes);
  });
}

function assertRawProblem(res: RawResponse, status: number, slug: string): void {
  assert.equal(res.status, status, JSON.stringify(res));
  assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/);
  assert.equal(res.headers.connection, 'close');
  assert.equal(Number(res.headers['content-length']), Buffer.byteLength(JSON.stringify(res.body)));
  assertSecurityHeaders(res.headers);
  assertNotCacheable(res);
  assert.equal(res.body.type, `https://order-saga.example/problems/${slug}`);
  assert.equal(res.body.status, status);
  assert.equal(typeof res.body.title, 'string');
  assert.equal(typeof res.body.detail, 'string');
  assert.match(String(res.body.requestId), /^[0-9a-f-]{36}$/);
  assert.equal(res.body.requestId, res.headers['x-request-id']);
  assert.equal(res.body.instance, `urn:uuid:${String(res.body.requestId)}`);
}

const listen = (server: Server) =>
  new Promise<void>((resolve) => {
    server.listen(0, '127.0.0.1', resolve);
  });
const close = (server: Server | undefined) =>
  new Promise<void>((resolve) => {
    if (!server) return resolve();
    server.closeAllConnections();
    server.close(() => resolve());
  });

describe("HTTP that Node's parser refuses, before the app sees it", () => {
  let server: Server;
  before(async () => {
    server = createApiServer(h.app, pino({ level: 'silent' }));
    await listen(server);
  });
  after(async () => {
    await close(server);
  });

  test('the server serves the app', async () => {
    const res = await exchange(server, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nConnection: close\r\n\r\n');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { status: 'ok' });
  });

  test('headers over the size limit are 431 problem+json', async () => {
    const res = await exchange(
      server,
      `GET /orders HTTP/1.1\r\nHost: localhost\r\nX-Padding: ${'a'.repeat(20_000)}\r\n\r\n`,
    );
    assertRawProblem(res, 431, 'request-header-fields-too-large');
  });

  const malformed: [what: string, bytes: string][] = [
    ['a request line that is not HTTP', 'HELLO THERE\r\n\r\n'],
    ['an unknown method', 'FROB /orders HTTP/1.1\r\nHost: localhost\r\n\r\n'],
    ['a header name with a space', 'GET /healthz HTTP/1.1\r\nHost: localhost\r\nBad Header: x\r\n\r\n'],
    [
      'Content-Length and Transfer-Encoding together (request smuggling)',
      'POST /orders HTTP/1.1\r\nHost: localhost\r\nContent-Length: 4\r\nTransfer-Encoding: chunked\r\n\r\n0\r\n\r\n',
    ],
    [
      'a bad chunk size, while the app reads the body',
      'POST /orders HTTP/1.1\r\nHost: localhost\r\nContent-Type: application/json\r\n' +
        'Transfer-Encoding: chunked\r\n\r\nzz\r\n',
    ],
  ];
  for (const [what, bytes] of malformed) {
    test(`${what} is 400 problem+json`, async () => {
      assertRawProblem(await exchange(server, bytes), 400, 'invalid-request');
    });
  }

  test('a request that takes too long to arrive is 408 problem+json', async () => {
    const slow = createApiServer(h.app, pino({ level: 'silent' }), {
      requestTimeout: 200,
      headersTimeout: 200,
      connectionsCheckingInterval: 50,
    });
    await listen(slow);
    try {
      assertRawProblem(await exchange(slow, 'GET /healthz HTTP/1.1\r\nHost: localhost\r\n'), 408, 'request-timeout');
    } finally {
      await close(slow);
    }
  });
});
