/** The fault-injection control on a bare service app (no database needed). */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { Router } from 'express';
import pino from 'pino';
import request from 'supertest';
import { FaultController, NO_FAULTS } from '../../src/services/faults';
import { createServiceApp } from '../../src/services/http/app';

function app(random?: () => number) {
  const faults = new FaultController(random);
  const business = Router();
  business.post('/work', (_req, res) => void res.status(201).json({ done: true }));
  const operator = Router();
  operator.get('/ledger', (_req, res) => void res.json({ entries: [] }));
  return {
    faults,
    app: createServiceApp({ service: 'test', log: pino({ level: 'silent' }), faults, business, operator }),
  };
}

describe('fault control over HTTP', () => {
  test('is off by default', async () => {
    const { app: a } = app();
    const res = await request(a).get('/_faults');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, NO_FAULTS);
    assert.equal((await request(a).post('/work')).status, 201);
  });

  test('PUT replaces the settings (omitted fields off) and DELETE clears them', async () => {
    const { app: a } = app();
    await request(a).put('/_faults').send({ errorRate: 1 }).expect(200);
    const put = await request(a).put('/_faults').send({ latencyMs: 5 });
    assert.deepEqual(put.body, { ...NO_FAULTS, latencyMs: 5 });
    await request(a).delete('/_faults').expect(200);
    assert.deepEqual((await request(a).get('/_faults')).body, NO_FAULTS);
  });

  test('invalid settings are refused with the reason and leave the current ones', async () => {
    const { app: a, faults } = app();
    await request(a).put('/_faults').send({ latencyMs: 5 }).expect(200);
    for (const bad of [
      { errorRate: 2 },
      { outage: 'sometimes' },
      { latencyMs: -1 },
      { errorStatus: 418 },
      { typo: 1 },
    ]) {
      const res = await request(a).put('/_faults').send(bad);
      assert.equal(res.status, 400, JSON.stringify(bad));
      assert.equal((res.body as { error: { code: string } }).error.code, 'invalid_request');
    }
    assert.equal(faults.settings.latencyMs, 5);
  });
});

describe('faults apply to business endpoints only', () => {
  const modes = [
    { errorRate: 1, errorStatus: 502, expected: 502 },
    { rateLimitRate: 1, retryAfterSeconds: 7, expected: 429 },
    { outage: 'unavailable', expected: 503 },
  ] as const;
  for (const { expected, ...settings } of modes) {
    test(`${JSON.stringify(settings)} → ${expected} on business routes, not on /healthz, /_faults or audits`, async () => {
      const { app: a, faults } = app();
      await request(a).put('/_faults').send(settings).expect(200);
      assert.equal(faults.settings.outage, 'outage' in settings ? settings.outage : 'none');
      const res = await request(a).post('/work');
      assert.equal(res.status, expected);
      if (expected === 429) assert.equal(res.headers['retry-after'], '7');
      assert.equal((await request(a).get('/healthz')).status, 200);
      assert.equal((await request(a).get('/ledger')).status, 200);
      assert.equal((await request(a).get('/_faults')).status, 200);
    });
  }

  test('outage "reset" drops the connection without an answer', async () => {
    const { app: a } = app();
    await request(a).put('/_faults').send({ outage: 'reset' }).expect(200);
    await assert.rejects(
      request(a).post('/work'),
      (err: NodeJS.ErrnoException) => err.code === 'ECONNRESET' || /socket hang up/.test(err.message),
    );
    assert.equal((await request(a).get('/healthz')).status, 200);
  });

  test('a hang is never answered until the client gives up', async () => {
    const { app: a } = app();
    await request(a).put('/_faults').send({ hangRate: 1 }).expect(200);
    await assert.rejects(
      request(a).post('/work').timeout(200),
      (err: Error & { timeout?: number }) => err.timeout === 200,
    );
  });

  test('rates are probabilities per request', async () => {
    const rolls = [0.1, 0.9, 0.1, 0.9];
    const { app: a } = app(() => rolls.shift() ?? 1);
    await request(a).put('/_faults').send({ errorRate: 0.5 }).expect(200);
    const statuses = [];
    for (let i = 0; i < 4; i++) statuses.push((await request(a).post('/work')).status);
    assert.deepEqual(statuses, [500, 201, 500, 201]);
  });
});
