import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { apiSchema, devCredentials, orderPolicy, usesDevCredentials } from '../../src/api/config';
import { ConfigError, loadConfig } from '../../src/config';
import { DEFAULT_ORDER_POLICY } from '../../src/workflows/order-types';

const base = {
  API_SIGNING_SECRETS: 'first-secret-0123456789, second-secret-0123456789',
  API_TOKENS: 'approver-token-0123456789:approver:alice,operator-token-0123456789:operator:ops-bob',
  API_CURSOR_SECRET: 'cursor-secret-0123456789-0123456789',
};

function configError(env: Record<string, string>): string {
  try {
    loadConfig(apiSchema, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

describe('API configuration', () => {
  test('parses secrets, tokens and the policy with DEFAULT_ORDER_POLICY defaults', () => {
    const config = loadConfig(apiSchema, base);
    assert.deepEqual(config.API_SIGNING_SECRETS, ['first-secret-0123456789', 'second-secret-0123456789']);
    assert.deepEqual(config.API_TOKENS, [
      { token: 'approver-token-0123456789', role: 'approver', identity: 'alice' },
      { token: 'operator-token-0123456789', role: 'operator', identity: 'ops-bob' },
    ]);
    // Unset ORDER_APPROVERS: every approver token's identity may approve.
    assert.deepEqual(orderPolicy(config), { ...DEFAULT_ORDER_POLICY, approvers: ['alice'] });
    assert.equal(usesDevCredentials(config), false);
  });

  test('policy variables override the defaults', () => {
    const config = loadConfig(apiSchema, {
      ...base,
      ORDER_APPROVAL_THRESHOLD: '250000',
      ORDER_FRAUD_REVIEW_LOW: '0.5',
      ORDER_FRAUD_REVIEW_HIGH: '0.9',
      ORDER_APPROVERS: 'alice, carol',
      ORDER_APPROVAL_ESCALATE_AFTER: '4h',
      ORDER_APPROVAL_AUTO_REJECT_AFTER: '2d',
      ORDER_INVENTORY_LOCKED_SLA: '10m',
    });
    assert.deepEqual(orderPolicy(config), {
      approvalThreshold: 250_000,
      fraudReviewBand: { low: 0.5, high: 0.9 },
      approvers: ['alice', 'carol'],
      approvalEscalateAfter: '4h',
      approvalAutoRejectAfter: '2d',
      inventoryLockedSla: '10m',
    });
    assert.equal(orderPolicy(loadConfig(apiSchema, base)).inventoryLockedSla, '300s', 'the SLA watchdog default');
    assert.throws(
      () => loadConfig(apiSchema, { ...base, ORDER_INVENTORY_LOCKED_SLA: 'soon' }),
      /ORDER_INVENTORY_LOCKED_SLA/,
    );
  });

  test('without secrets or tokens the development credentials apply, and are flagged', () => {
    const config = loadConfig(apiSchema, {});
    assert.equal(usesDevCredentials(config), true);
    assert.deepEqual(devCredentials(config), ['API_SIGNING_SECRETS', 'API_TOKENS', 'API_CURSOR_SECRET']);
    assert.ok(config.API_TOKENS.some((t) => t.role === 'approver'));
    // The cursor key alone left at its development value is flagged too.
    const { API_CURSOR_SECRET: _unset, ...withoutCursorSecret } = base;
    assert.deepEqual(devCredentials(loadConfig(apiSchema, withoutCursorSecret)), ['API_CURSOR_SECRET']);
  });

  test('bad values name the variable', () => {
    assert.match(configError({ ...base, API_TOKENS: 'approver-token-0123456789:admin:alice' }), /API_TOKENS/);
    assert.match(configError({ ...base, API_TOKENS: 'short:approver:alice' }), /API_TOKENS.*16 characters/);
    assert.match(configError({ ...base, API_TOKENS: 'approver-token-0123456789:approver' }), /API_TOKENS/);
    assert.match(
      configError({ ...base, API_TOKENS: 'same-token-0123456789:approver:a,same-token-0123456789:operator:b' }),
      /API_TOKENS: expected every token to be distinct/,
    );
    assert.match(configError({ ...base, API_SIGNING_SECRETS: 'tiny' }), /API_SIGNING_SECRETS/);
    assert.match(
      configError({ ...base, API_CURSOR_SECRET: 'short-cursor-secret' }),
      /API_CURSOR_SECRET.*32 characters/,
    );
    assert.match(
      configError({ ...base, ORDER_FRAUD_REVIEW_LOW: '0.9', ORDER_FRAUD_REVIEW_HIGH: '0.5' }),
      /ORDER_FRAUD_REVIEW_HIGH/,
    );
    assert.match(configError({ ...base, ORDER_APPROVAL_ESCALATE_AFTER: 'tomorrow' }), /ORDER_APPROVAL_ESCALATE_AFTER/);
    assert.match(configError({ ...base, API_BODY_LIMIT_BYTES: '-1' }), /API_BODY_LIMIT_BYTES/);
  });
});
