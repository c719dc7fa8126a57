import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import pino from 'pino';
import { ConfigError, loadConfig } from '../../src/config';
import {
  DEV_SERVICES_ADMIN_TOKEN,
  servicesDevCredentials,
  servicesSchema,
  warnDevCredentials,
} from '../../src/services/config';
import { hostnameOf } from '../../src/services/http/guards';

function configError(env: Record<string, string>): string {
  try {
    loadConfig(servicesSchema, env);
  } catch (err) {
    assert.ok(err instanceof ConfigError);
    return err.message;
  }
  assert.fail('expected a ConfigError');
}

/** A logger whose lines land in `lines`. */
function capturingLogger() {
  const lines: { level: number; msg: string; variables?: string[] }[] = [];
  const log = pino({ level: 'info' }, { write: (line: string) => void lines.push(JSON.parse(line) as never) });
  return { log, lines };
}

describe('reference services configuration: admin token and allowed hosts', () => {
  test('unset: the development token, flagged, and no extra hosts', () => {
    const config = loadConfig(servicesSchema, {});
    assert.equal(config.SERVICES_ADMIN_TOKEN, DEV_SERVICES_ADMIN_TOKEN);
    assert.deepEqual(config.SERVICES_ALLOWED_HOSTS, []);
    assert.deepEqual(servicesDevCredentials(config), ['SERVICES_ADMIN_TOKEN']);
  });

  test('set: the token as given, hostnames normalised (lower case, port dropped, IPv6 unbracketed)', () => {
    const config = loadConfig(servicesSchema, {
      SERVICES_ADMIN_TOKEN: 'ops-token-0123456789',
      SERVICES_ALLOWED_HOSTS: 'services, Orders.Internal:8080,[fd00::1]:4001,,svc_2',
    });
    assert.equal(config.SERVICES_ADMIN_TOKEN, 'ops-token-0123456789');
    assert.deepEqual(config.SERVICES_ALLOWED_HOSTS, ['services', 'orders.internal', 'fd00::1', 'svc_2']);
    assert.deepEqual(servicesDevCredentials(config), []);
  });

  test('bad values name the variable', () => {
    assert.match(
      configError({ SERVICES_ADMIN_TOKEN: 'short' }),
      /SERVICES_ADMIN_TOKEN: expected at least 16 characters/,
    );
    assert.match(
      configError({ SERVICES_ADMIN_TOKEN: 'has a space in the middle' }),
      /SERVICES_ADMIN_TOKEN: expected a token without spaces/,
    );
    assert.match(
      configError({ SERVICES_ALLOWED_HOSTS: 'services,http://orders.internal' }),
      /SERVICES_ALLOWED_HOSTS: expected comma-separated hostnames .*"http:\/\/orders\.internal"/,
    );
    assert.match(configError({ SERVICES_ALLOWED_HOSTS: 'evil example' }), /SERVICES_ALLOWED_HOSTS/);
    assert.match(configError({ SERVICES_ALLOWED_HOSTS: 'services:port' }), /SERVICES_ALLOWED_HOSTS/);
  });

  test('the development token is warned about at start, like the API does; a real one is not', () => {
    const unset = capturingLogger();
    warnDevCredentials(loadConfig(servicesSchema, {}), unset.log);
    assert.equal(unset.lines.length, 1);
    assert.equal(unset.lines[0]?.level, 40, 'a warning');
    assert.deepEqual(unset.lines[0]?.variables, ['SERVICES_ADMIN_TOKEN']);
    assert.match(unset.lines[0]?.msg ?? '', /SERVICES_ADMIN_TOKEN: well-known development values in use/);

    const set = capturingLogger();
    warnDevCredentials(loadConfig(servicesSchema, { SERVICES_ADMIN_TOKEN: 'ops-token-0123456789' }), set.log);
    assert.deepEqual(set.lines, []);
  });
});

describe('hostnameOf', () => {
  test('reads the hostname of a Host header value', () => {
    const cases: [string, string | null][] = [
      ['localhost', 'localhost'],
      ['localhost:4001', 'localhost'],
      ['LOCALHOST:4001', 'localhost'],
      ['127.0.0.1:4001', '127.0.0.1'],
      ['[::1]:4001', '::1'],
      ['[::1]', '::1'],
      ['::1', '::1'],
      ['services:4002', 'services'],
      ['', null],
      ['localhost.', null],
      ['evil.example/path', null],
      ['user@localhost', null],
      ['localhost:4001:1', null],
    ];
    for (const [value, expected] of cases) assert.equal(hostnameOf(value), expected, JSON.stringify(value));
  });
});
