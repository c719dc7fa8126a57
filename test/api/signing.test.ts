import assert from 'node:assert/strict';
import { createHmac } from 'node:crypto';
import { describe, test } from 'node:test';
import { signerOf, signRequest, verifySignature, type SignedRequest } from '../../src/api/signing';

const signed: SignedRequest = {
  method: 'POST',
  path: '/orders',
  idempotencyKey: 'key-0123456789',
  body: Buffer.from('{"customer":{"id":"cust-1"}}'),
};
const secret = 'signing-secret-0123456789';
const now = 1_800_000_000;
const options = { secrets: [secret], toleranceSeconds: 300, now };
const valid = { valid: true, signer: signerOf(secret) };
const refused = (failure: string) => ({ valid: false, failure });

describe('request signing (v2)', () => {
  test('signs HMAC-SHA256 over scheme, time, method, path, key and body in the documented format', () => {
    const canonical = `v2\n${now}\nPOST\n/orders\nkey-0123456789\n${signed.body.toString()}`;
    const expected = createHmac('sha256', secret).update(canonical).digest('hex');
    assert.equal(signRequest(signed, secret, now), `t=${now},v2=${expected}`);
  });

  test('a fresh signature verifies and names its signer (not the secret); any covered part changed does not', () => {
    const header = signRequest(signed, secret, now);
    assert.deepEqual(verifySignature(header, signed, options), valid);
    assert.doesNotMatch(signerOf(secret), new RegExp(secret));
    const changed: Record<string, SignedRequest> = {
      body: { ...signed, body: Buffer.from(signed.body.toString().replace('1', '2')) },
      'Idempotency-Key': { ...signed, idempotencyKey: 'key-9876543210' },
      'no Idempotency-Key': { ...signed, idempotencyKey: '' },
      path: { ...signed, path: '/orders?x=1' },
      method: { ...signed, method: 'PUT' },
    };
    for (const [what, request] of Object.entries(changed)) {
      assert.deepEqual(verifySignature(header, request, options), refused('mismatch'), what);
    }
  });

  test('parts cannot be shifted across the separators', () => {
    const header = signRequest({ ...signed, path: '/orders\nkey', idempotencyKey: '-0123456789' }, secret, now);
    assert.deepEqual(verifySignature(header, signed, options), refused('mismatch'));
  });

  test('timestamps outside the tolerance are expired, in either direction', () => {
    assert.deepEqual(verifySignature(signRequest(signed, secret, now - 301), signed, options), refused('expired'));
    assert.deepEqual(verifySignature(signRequest(signed, secret, now + 301), signed, options), refused('expired'));
    assert.deepEqual(verifySignature(signRequest(signed, secret, now - 300), signed, options), valid);
  });

  test('any configured secret verifies (rotation) and is told apart; an unknown one does not', () => {
    const next = 'new-secret-0123456789abc';
    const rotating = { ...options, secrets: [next, secret] };
    assert.deepEqual(verifySignature(signRequest(signed, secret, now), signed, rotating), valid);
    assert.deepEqual(verifySignature(signRequest(signed, next, now), signed, rotating), {
      valid: true,
      signer: signerOf(next),
    });
    assert.notEqual(signerOf(next), signerOf(secret));
    const unknown = signRequest(signed, 'other-secret-0123456789', now);
    assert.deepEqual(verifySignature(unknown, signed, rotating), refused('mismatch'));
  });

  test('several v2 values are accepted when one matches (signer mid-rotation)', () => {
    const good = signRequest(signed, secret, now).split(',')[1]!;
    const bad = signRequest(signed, 'other-secret-0123456789', now).split(',')[1]!;
    assert.deepEqual(verifySignature(`t=${now},${bad},${good}`, signed, options), valid);
  });

  test('a v1 (body-only) signature is refused as a retired scheme, even beside an unknown one', () => {
    const v1 = createHmac('sha256', secret).update(`${now}.`).update(signed.body).digest('hex');
    assert.deepEqual(verifySignature(`t=${now},v1=${v1}`, signed, options), refused('retired-scheme'));
    assert.deepEqual(verifySignature(`t=${now},v1=${v1},v9=abc`, signed, options), refused('retired-scheme'));
  });

  test('missing and malformed headers are told apart', () => {
    assert.deepEqual(verifySignature(undefined, signed, options), refused('missing'));
    assert.deepEqual(verifySignature('  ', signed, options), refused('missing'));
    for (const header of [
      'v2=abc',
      `t=${now}`,
      `t=${now},v9=abc`,
      `t=soon,v2=${'0'.repeat(64)}`,
      `t=${now},v2=${'0'.repeat(63)}`,
      `t=${now},v2==x`,
    ]) {
      assert.deepEqual(verifySignature(header, signed, options), refused('malformed'), header);
    }
  });
});
