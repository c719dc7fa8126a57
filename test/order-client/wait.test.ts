/**
 * `npm run order -- … --wait`: the follower on its own (fake API answers), then the real
 * client against the API in process, with the stand-in order workflow of the API tests.
 */
import assert from 'node:assert/strict';
import { execFile } from 'node:child_process';
import type { Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { promisify } from 'node:util';
import { followOrder, parseWaitTimeout, type Reading, WAIT_EXIT_CODES } from '../../scripts/order-client/follow';
import { PROJECT_ROOT } from '../../src/paths';
import {
  type ApiHarness,
  newKey,
  sampleOrder,
  SIGNING_SECRET,
  startApiHarness,
  submitOrder,
  TOKENS,
} from '../api/harness';

const at = (s: number) => new Date(Date.UTC(2026, 0, 1, 12, 0, s)).toISOString();
const t = (from: string | null, to: string, s: number, reason: string) => ({ from, to, at: at(s), reason });

describe('the follower', () => {
  test('prints each transition once, rides out an unreachable API, 503 and 429, and exits by the end', async () => {
    const transitions = [t(null, 'RECEIVED', 0, 'order received'), t('RECEIVED', 'INVENTORY_LOCKED', 1, 'stock')];
    const answers: (Reading | Error)[] = [
      new Error('connect ECONNREFUSED'),
      { status: 503, body: {} },
      { status: 429, body: {}, retryAfter: 3 },
      { status: 200, body: { source: 'records', reason: 'no-worker', status: 'INVENTORY_LOCKED' } },
      { status: 200, body: { source: 'query', status: 'INVENTORY_LOCKED', transitions } },
      {
        status: 200,
        body: {
          source: 'query',
          status: 'TRANSACTION_REVOKED',
          transitions: [
            ...transitions,
            t('INVENTORY_LOCKED', 'COMPENSATING', 2, 'card declined'),
            t('COMPENSATING', 'TRANSACTION_REVOKED', 3, 'stock released'),
          ],
        },
      },
    ];
    const lines: string[] = [];
    const sleeps: number[] = [];
    let clock = 0;
    const code = await followOrder({
      orderId: 'order-1',
      read: () => {
        const next = answers.shift()!;
        return next instanceof Error ? Promise.reject(next) : Promise.resolve(next);
      },
      write: (line) => lines.push(line),
      sleep: (ms) => ((clock += ms), sleeps.push(ms), Promise.resolve()),
      now: () => clock,
    });
    assert.equal(code, WAIT_EXIT_CODES.TRANSACTION_REVOKED);
    assert.deepEqual(sleeps, [500, 500, 3000, 500, 500]);
    const text = lines.join('\n');
    assert.equal(text.match(/→ RECEIVED/g)?.length, 1);
    assert.match(text, /the API cannot be reached \(connect ECONNREFUSED\); still trying/);
    assert.match(text, /the API answers again/);
    assert.match(text, /no worker answers the order's query \(Temporal's records say INVENTORY_LOCKED\)/);
    assert.match(text, /COMPENSATING → TRANSACTION_REVOKED +stock released/);
    assert.match(lines.at(-1)!, /^Ended TRANSACTION_REVOKED \(exit code 2\)\.$/);
  });

  test('stops at the timeout with exit code 6 and says how to follow again', async () => {
    let clock = 0;
    const lines: string[] = [];
    const code = await followOrder({
      orderId: 'order-2',
      read: () => Promise.resolve({ status: 200, body: { source: 'query', status: 'INVENTORY_LOCKED' } }),
      write: (line) => lines.push(line),
      sleep: (ms) => ((clock += ms), Promise.resolve()),
      now: () => clock,
      timeoutMs: 2_000,
    });
    assert.equal(code, WAIT_EXIT_CODES.TIMEOUT);
    assert.match(
      lines.join('\n'),
      /Still INVENTORY_LOCKED after 2 s; stopped following \(exit code 6;.*\nFollow it again: .*--show order-2 --wait/,
    );
  });

  test('--wait-timeout takes bare seconds and s/m/h', () => {
    assert.deepEqual(
      ['45', '90s', '5m', '1h', '1500ms'].map(parseWaitTimeout),
      [45_000, 90_000, 300_000, 3_600_000, 1500],
    );
    assert.throws(() => parseWaitTimeout('soon'), /--wait-timeout expects a duration/);
  });
});

describe('npm run order -- … --wait, against the API', () => {
  let h: ApiHarness;
  let server: Server;
  let url = '';
  before(async () => {
    h = await startApiHarness();
    server = h.app.listen(0, '127.0.0.1');
    await new Promise((resolve) => server.once('listening', resolve));
    url = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
  });
  after(async () => {
    await new Promise((resolve) => server?.close(resolve));
    await h?.stop();
  });

  async function order(...args: string[]): Promise<{ code: number; stdout: string }> {
    const run = promisify(execFile)(
      process.execPath,
      ['--import', 'tsx', path.join(PROJECT_ROOT, 'scripts/order-client.ts'), ...args],
      {
        cwd: PROJECT_ROOT,
        env: {
          ...process.env,
          ORDER_API_URL: url,
          API_SIGNING_SECRETS: SIGNING_SECRET,
          API_TOKENS: `${TOKENS.approver}:approver:alice,${TOKENS.operator}:operator:ops-bob`,
        },
      },
    );
    return run.then(
      ({ stdout }) => ({ code: 0, stdout }),
      (err: { code: number; stdout: string }) => ({ code: err.code, stdout: err.stdout }),
    );
  }

  test('a submitted order that waits for approval is followed on until the timeout, then cancelled', async () => {
    const waiting = await order('--scenario', 'approval', '--wait', '--wait-timeout', '2s');
    assert.equal(waiting.code, WAIT_EXIT_CODES.TIMEOUT, waiting.stdout);
    const orderId = /"orderId": "([^"]+)"/.exec(waiting.stdout)?.[1] ?? assert.fail(waiting.stdout);
    assert.match(waiting.stdout, /→ AWAITING_APPROVAL +total above the approval threshold/);
    assert.match(waiting.stdout, /waits for an approver's decision \(total above the approval threshold\)/);
    assert.match(waiting.stdout, new RegExp(`npm run order -- --approve ${orderId} `));
    assert.match(waiting.stdout, /Still AWAITING_APPROVAL after 2 s/);

    const cancelled = await order('--cancel', orderId, '--wait');
    assert.equal(cancelled.code, WAIT_EXIT_CODES.CANCELLED, cancelled.stdout);
    assert.match(cancelled.stdout, /AWAITING_APPROVAL → CANCELLED/);
    assert.match(cancelled.stdout, /Ended CANCELLED \(exit code 4\)\./);
  });

  test('a parked order exits 5 with how to retry it; --retry --wait follows it to COMPLETED', async () => {
    const placed = await submitOrder(h.app, sampleOrder({ customer: { id: 'cust-parked', email: 'a@example.com' } }), {
      key: newKey(),
    });
    const { orderId } = placed.body as { orderId: string };
    const parked = await order('--show', orderId, '--wait');
    assert.equal(parked.code, WAIT_EXIT_CODES.NEEDS_ATTENTION, parked.stdout);
    assert.match(parked.stdout, /Parked in NEEDS_ATTENTION \(exit code 5\): payments stayed down/);
    assert.match(parked.stdout, new RegExp(`npm run order -- --retry ${orderId} --wait`));

    const retried = await order('--retry', orderId, '--wait');
    assert.equal(retried.code, WAIT_EXIT_CODES.COMPLETED, retried.stdout);
    assert.match(retried.stdout, /NEEDS_ATTENTION → COMPLETED +retried by ops-bob/);
  });

  test('an order that does not exist is a failed request (exit 1)', async () => {
    const missing = await order('--show', 'order-nope', '--wait');
    assert.equal(missing.code, 1, missing.stdout);
  });
});
