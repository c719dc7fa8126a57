/**
 * How the API serves the console and `GET /me`, without a browser: the console's own CSP (and
 * only on its files), the same headers as every answer otherwise, the vendored modules, the
 * settings, and which methods are served.
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import request from 'supertest';
import { CONSOLE_CSP, CONSOLE_DIR } from '../../src/api/console';
import { WEB_UI } from './browser';
import { type ApiHarness, assertNotCacheable, assertProblem, bearer, startApiHarness, TOKENS } from '../api/harness';

let h: ApiHarness;
before(async () => {
  h = await startApiHarness();
});
after(async () => {
  await h?.stop();
});

const directives = (csp: string) =>
  new Map(
    csp
      .split(';')
      .map((d) => d.trim().split(/\s+/) as [string, ...string[]])
      .map(([k, ...v]) => [k, v]),
  );

describe('GET /me', () => {
  test("answers the token's identity and role, for every role", async () => {
    for (const [token, identity, role] of [
      [TOKENS.viewer, 'dave', 'viewer'],
      [TOKENS.approver, 'alice', 'approver'],
      [TOKENS.operator, 'ops-bob', 'operator'],
    ] as const) {
      const res = await request(h.app).get('/me').set(bearer(token));
      assert.equal(res.status, 200);
      assert.deepEqual(res.body, { identity, role });
      assertNotCacheable(res);
    }
  });

  test('without a valid token is 401; another method is 405', async () => {
    assertProblem(await request(h.app).get('/me'), 401, 'unauthenticated');
    assertProblem(await request(h.app).get('/me').set(bearer('no-such-token-000000')), 401, 'unauthenticated');
    const res = await request(h.app).post('/me').set(bearer(TOKENS.viewer));
    assertProblem(res, 405, 'method-not-allowed');
    assert.equal(res.headers.allow, 'GET, HEAD');
  });
});

describe('/console', () => {
  test('redirects to /console/, which serves the page under its own strict CSP', async () => {
    const redirect = await request(h.app).get('/console');
    assert.equal(redirect.status, 301);
    assert.equal(redirect.headers.location, '/console/');

    const res = await request(h.app).get('/console/');
    assert.equal(res.status, 200);
    assert.match(res.headers['content-type'] ?? '', /^text\/html/);
    assert.equal(res.headers['content-security-policy'], CONSOLE_CSP);
    const csp = directives(CONSOLE_CSP);
    for (const d of ['script-src', 'style-src', 'connect-src']) assert.deepEqual(csp.get(d), ["'self'"], d);
    assert.deepEqual(csp.get('default-src'), ["'none'"]);
    assert.deepEqual(csp.get('frame-ancestors'), ["'none'"]);
    assert.ok(!CONSOLE_CSP.includes('unsafe-'), 'no inline script or eval');
    assert.equal(res.headers['x-frame-options'], 'DENY');
    assert.equal(res.headers['x-content-type-options'], 'nosniff');
    assertNotCacheable(res);
  });

  test('the page has no inline script, style or event handler (the CSP would refuse them)', () => {
    for (const file of fs.readdirSync(CONSOLE_DIR).filter((f) => f.endsWith('.html'))) {
      const page = fs.readFileSync(path.join(CONSOLE_DIR, file), 'utf8');
      for (const tag of page.match(/<script\b[^>]*>/g) ?? []) assert.match(tag, /\ssrc=/, `${file}: ${tag}`);
      assert.doesNotMatch(page, /<style\b|\sstyle=|\son[a-z]+=/i, file);
    }
  });

  test('serves the modules as JavaScript, Preact and htm from node_modules with no bare import left', async () => {
    for (const file of ['app.js', 'vendor/preact.js', 'vendor/hooks.js', 'vendor/htm.js']) {
      const res = await request(h.app).get(`/console/${file}`);
      assert.equal(res.status, 200, file);
      assert.match(res.headers['content-type'] ?? '', /^text\/javascript/, file);
      assert.equal(res.headers['content-security-policy'], CONSOLE_CSP, file);
      assert.doesNotMatch(res.text, /from\s*["'][^./]/, `${file} imports only relative paths`);
    }
    const hooks = await request(h.app).get('/console/vendor/hooks.js');
    assert.match(hooks.text, /from"\.\/preact\.js"/);
  });

  test('settings name the Temporal Web UI and namespace', async () => {
    const res = await request(h.app).get('/console/settings.json');
    assert.equal(res.status, 200);
    assert.deepEqual(res.body, { temporalUiUrl: WEB_UI, namespace: 'default' });
  });

  test("an unknown file is a 404 problem under the API's own CSP; a POST is 405", async () => {
    for (const url of ['/console/nope.js', '/console/vendor/nope.js', '/console/.hidden']) {
      const res = await request(h.app).get(url);
      assertProblem(res, 404, 'not-found');
      assert.notEqual(res.headers['content-security-policy'], CONSOLE_CSP, url);
    }
    const res = await request(h.app).post('/console/').send({});
    assertProblem(res, 405, 'method-not-allowed');
    assert.equal(res.headers.allow, 'GET, HEAD');
  });
});
