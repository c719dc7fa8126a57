import assert from 'node:assert/strict';
import type { Response } from 'supertest';
import { PROBLEM_BASE } from './harness';

/** Asserts an RFC 9457 answer with the given status and problem slug; returns its body. */
export function assertProblem(res: Response, status: number, slug: string): Record<string, unknown> {
  const body = res.body as Record<string, unknown>;
  assert.equal(res.status, status, JSON.stringify(body));
  assert.match(res.headers['content-type'] ?? '', /^application\/problem\+json/);
  assert.equal(body.type, `${PROBLEM_BASE}${slug}`);
  assert.equal(body.status, status);
  assert.equal(typeof body.title, 'string');
  assert.equal(typeof body.detail, 'string');
  assert.equal(typeof body.instance, 'string');
  assert.equal(body.requestId, res.headers['x-request-id']);
  assert.ok(!/\n\s+at /.test(JSON.stringify(body)), 'no stack trace in a problem');
  return body;
}
