import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { signBody, verifySignature } from '../../src/api/signing';

const body = Buffer.from('{"customer":{"id":"cust-1"}}');
const secret = 'signing-secret-0123456789';
const now = 1_800_000_000;
const options = { secrets: [secret], toleranceSeconds: 300, now };

describe('request signing', () => {
  test('signs HMAC-SHA256 over "t.body" in the documented header format', () => {
    const expected = createHmac('sha256', secret).update(`${now}.${body.toString()}`).digest('hex');
    assert.equal(signBody(body, secret, now), `t=${now},v1=${expected}`);
  });

  test('a fresh signature verifies; any byte changed does not', () => {
    const header = signBody(body, secret, now);
    assert.deepEqual(verifySignature(header, body, options), { valid: true });
    assert.deepEqual(verifySignature(header, Buffer.from(body.toString().replace('1', '2')), options), {
      valid: false,
      failure: 'mismatch',
    });
  });

  test('timestamps outside the tolerance are expired, in either direction', () => {
    assert.deepEqual(verifySignature(signBody(body, secret, now - 301), body, options), {
      valid: false,
      failure: 'expired',
    });
    assert.deepEqual(verifySignature(signBody(body, secret, now + 301), body, options), {
      valid: false,
      failure: 'expired',
    });
    assert.deepEqual(verifySignature(signBody(body, secret, now - 300), body, options), { valid: true });
  });

  test('any configured secret verifies (rotation); an unknown one does not', () => {
    const rotating = { ...options, secrets: ['new-secret-0123456789abc', secret] };
    assert.deepEqual(verifySignature(signBody(body, secret, now), body, rotating), { valid: true });
    assert.deepEqual(verifySignature(signBody(body, 'other-secret-0123456789', now), body, rotating), {
      valid: false,
      failure: 'mismatch',
    });
  });

  test('several v1 values are accepted when one matches (signer mid-rotation)', () => {
    const good = signBody(body, secret, now).split(',')[1]!;
    const bad = signBody(body, 'other-secret-0123456789', now).split(',')[1]!;
    assert.deepEqual(verifySignature(`t=${now},${bad},${good}`, body, options), { valid: true });
  });

  test('missing and malformed headers are told apart', () => {
    assert.deepEqual(verifySignature(undefined, body, options), { valid: false, failure: 'missing' });
    assert.deepEqual(verifySignature('  ', body, options), { valid: false, failure: 'missing' });
    for (const header of [
      'v1=abc',
      `t=${now}`,
      `t=soon,v1=${'0'.repeat(64)}`,
      `t=${now},v1=${'0'.repeat(63)}`,
      `t=${now},v1==x`,
    ]) {
      assert.deepEqual(verifySignature(header, body, options), { valid: false, failure: 'malformed' }, header);
    }
  });
});
