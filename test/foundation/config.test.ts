import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import path from 'node:path';
import { test } from 'node:test';
import { ConfigError, loadConfig, temporalSchema } from '../../src/config';
import { PROJECT_ROOT } from '../../src/paths';

function configErrorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (err) {
    if (err instanceof ConfigError) return err;
    throw err;
  }
  assert.fail('expected a ConfigError');
}

test('defaults follow Temporal conventions', () => {
  const config = loadConfig(temporalSchema, {});
  assert.equal(config.TEMPORAL_ADDRESS, 'localhost:7233');
  assert.equal(config.TEMPORAL_NAMESPACE, 'default');
  assert.equal(config.TEMPORAL_TASK_QUEUE, 'order-fulfillment');
});

test('empty strings count as unset', () => {
  assert.equal(loadConfig(temporalSchema, { TEMPORAL_ADDRESS: '' }).TEMPORAL_ADDRESS, 'localhost:7233');
});

test('a bad value names the variable, what it expected and what it got', () => {
  const err = configErrorOf(() => loadConfig(temporalSchema, { TEMPORAL_ADDRESS: 'no-port-here' }));
  assert.match(err.message, /TEMPORAL_ADDRESS: expected host:port/);
  assert.match(err.message, /got "no-port-here"/);
});

test('every bad variable is reported at once', () => {
  const err = configErrorOf(() => loadConfig(temporalSchema, { TEMPORAL_ADDRESS: 'x', TEMPORAL_TLS: 'maybe' }));
  assert.equal(err.issues.length, 2);
  assert.match(err.message, /TEMPORAL_TLS: expected true or false/);
});

test('mTLS cert and key must come together', () => {
  const err = configErrorOf(() => loadConfig(temporalSchema, { TEMPORAL_TLS_CLIENT_CERT_PATH: __filename }));
  assert.match(err.message, /TEMPORAL_TLS_CLIENT_KEY_PATH/);
});

test('a cert path that does not exist is refused', () => {
  const err = configErrorOf(() =>
    loadConfig(temporalSchema, {
      TEMPORAL_TLS_CLIENT_CERT_PATH: '/nonexistent/cert.pem',
      TEMPORAL_TLS_CLIENT_KEY_PATH: __filename,
    }),
  );
  assert.match(err.message, /TEMPORAL_TLS_CLIENT_CERT_PATH: expected the path of an existing file/);
});

test('a process started with bad configuration exits non-zero with the message', () => {
  const result = spawnSync(process.execPath, ['--import', 'tsx', path.join(PROJECT_ROOT, 'src/main.ts'), 'worker'], {
    env: { ...process.env, TEMPORAL_ADDRESS: 'not an address' },
    encoding: 'utf8',
    timeout: 60_000,
  });
  assert.equal(result.status, 78);
  assert.match(result.stderr, /Invalid configuration:\n {2}- TEMPORAL_ADDRESS: expected host:port/);
});

test('an unknown subcommand is refused with the list of commands', () => {
  const result = spawnSync(
    process.execPath,
    ['--import', 'tsx', path.join(PROJECT_ROOT, 'src/main.ts'), 'frobnicate'],
    {
      encoding: 'utf8',
      timeout: 60_000,
    },
  );
  assert.equal(result.status, 64);
  assert.match(result.stderr, /Unknown command "frobnicate"/);
});
