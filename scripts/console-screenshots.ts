/**
 * The screenshots in docs/console.md (docs/console/*.png), of the real saga: a throwaway Temporal
 * dev server, the reference services, the worker and the API, all in this process on free
 * loopback ports (nothing else need run, and a running `npm start` is left alone); orders in the
 * states each view shows — completed, revoked, waiting for approval, parked, one scored by the
 * fallback scorer — then Debian's Chromium, driven by playwright-core, signs in as each role.
 *   npm run console:screenshots        (CHROMIUM_PATH=… for another Chromium)
 * Retries are quick here (50 ms backoff), so an order parks in a second instead of minutes.
 */
import { randomUUID } from 'node:crypto';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import path from 'node:path';
import { TestWorkflowEnvironment } from '@temporalio/testing';
import { DefaultLogger, Runtime } from '@temporalio/worker';
import { chromium, type Page } from 'playwright-core';
import { createActivities } from '../src/activities';
import { createHttpPorts, downstreamSchema } from '../src/activities/clients';
import { DownstreamBreakers, withCircuitBreakers } from '../src/activities/resilience/circuit-breakers';
import { createApp } from '../src/api/app';
import { apiSchema, DEV_TOKENS } from '../src/api/config';
import { signRequest } from '../src/api/signing';
import { loadConfig } from '../src/config';
import { PROJECT_ROOT } from '../src/paths';
import { openDatabase } from '../src/services/db/database';
import { NO_FAULTS } from '../src/services/faults';
import { startReferenceServices } from '../src/services/server';
import { executableOption, resolveBinary, TEMPORAL_CLI } from '../src/temporal/binaries';
import { createOrderWorkers, runWorkersUntil } from '../src/temporal/workers';
import { ORDER_SEARCH_ATTRIBUTES, type OrderState } from '../src/workflows/definitions';
import type { OrderRequest } from '../src/workflows/order-types';

const OUT_DIR = path.join(PROJECT_ROOT, 'docs', 'console');
const VIEWPORT = { width: 1280, height: 860 };
function say(message: string): void {
  process.stdout.write(`console-screenshots: ${message}\n`);
}

function findChromium(): string {
  const candidates = [process.env.CHROMIUM_PATH, '/usr/bin/chromium', '/usr/bin/chromium-browser'];
  const found = candidates.find((file) => file && fs.existsSync(file));
  if (!found) throw new Error("no Chromium found: apt-get install chromium (Debian's), or set CHROMIUM_PATH");
  return found;
}

/** An order as scripts/order-client.ts builds them: the reference services react to these values. */
function order(overrides: Partial<OrderRequest> = {}): OrderRequest {
  return {
    customer: { id: 'cust-1001', email: 'ada@example.com', name: 'Ada Lovelace' },
    items: [
      { sku: 'SKU-BOOK-003', quantity: 2, unitPrice: 1_250 },
      { sku: 'SKU-LAMP-004', quantity: 1, unitPrice: 4_900 },
    ],
    currency: 'EUR',
    shippingAddress: {
      name: 'Ada Lovelace',
      line1: '12 Analytical Row',
      city: 'London',
      postalCode: 'N1 9GU',
      country: 'GB',
    },
    ...overrides,
  };
}

async function main(): Promise<void> {
  const executablePath = findChromium();
  Runtime.install({ logger: new DefaultLogger('ERROR') });
  const cli = executableOption(await resolveBinary(TEMPORAL_CLI, { log: say }));
  say('starting a throwaway Temporal dev server, the reference services, a worker and the API');
  const env = await TestWorkflowEnvironment.createLocal({
    server: { ...(cli ? { executable: cli } : {}), searchAttributes: [...ORDER_SEARCH_ATTRIBUTES], ip: '127.0.0.1' },
  });
  const db = await openDatabase({ kind: 'memory' });
  const services = await startReferenceServices({ db });
  const server = http.createServer();
  try {
    const taskQueue = 'console-screenshots';
    const downstream = loadConfig(downstreamSchema, {
      INVENTORY_URL: services.urls.inventory,
      PAYMENTS_URL: services.urls.payments,
      PRIMARY_CARRIER_URL: services.urls.primaryCarrier,
      BACKUP_CARRIER_URL: services.urls.backupCarrier,
      FRAUD_URL: services.urls.fraud,
      NOTIFICATIONS_URL: services.urls.notifications,
      FRAUD_MODEL_TIMEOUT_MS: '300',
    });
    // Payments never trip their breaker here, so an outage runs out of retries and parks the order.
    const breakers = new DownstreamBreakers({ payments: { threshold: 1000, halfOpenAfterMs: 1000 } });
    const workers = await createOrderWorkers({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../src/workflows/order-fulfillment'),
      activities: createActivities({
        ports: withCircuitBreakers(createHttpPorts(downstream), breakers),
        backoff: { baseMs: 50, maxMs: 200, jitterRatio: 0, retryAfterCapMs: 200 },
      }),
    });
    // The development tokens (alice the approver, ops the operator) and a viewer.
    const tokens = `${DEV_TOKENS},local-viewer-token:viewer:vera`;
    const config = loadConfig(apiSchema, { TEMPORAL_TASK_QUEUE: taskQueue, API_TOKENS: tokens });
    server.on('request', createApp({ client: env.client, config }));
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const base = `http://127.0.0.1:${(server.address() as AddressInfo).port}`;
    const token = (role: string) => config.API_TOKENS.find((t) => t.role === role)!.token;

    const submit = async (body: OrderRequest): Promise<string> => {
      const key = randomUUID();
      const raw = JSON.stringify(body);
      const signature = signRequest(
        { method: 'POST', path: '/orders', idempotencyKey: key, body: raw },
        config.API_SIGNING_SECRETS[0]!,
      );
      const res = await fetch(`${base}/orders`, {
        method: 'POST',
        headers: { 'Content-Type': 'application/json', 'Idempotency-Key': key, 'X-Signature': signature },
        body: raw,
      });
      if (res.status !== 202) throw new Error(`POST /orders answered ${res.status}: ${await res.text()}`);
      return ((await res.json()) as { orderId: string }).orderId;
    };
    const reaches = async (orderId: string, status: string): Promise<void> => {
      for (const deadline = Date.now() + 60_000; Date.now() < deadline;) {
        const res = await fetch(`${base}/orders/${orderId}`, {
          headers: { Authorization: `Bearer ${token('viewer')}` },
        });
        if (res.ok && ((await res.json()) as OrderState).status === status) return;
        await new Promise((r) => setTimeout(r, 200));
      }
      throw new Error(`${orderId} did not reach ${status}`);
    };

    await runWorkersUntil(workers, async () => {
      say('placing orders');
      const threshold = config.ORDER_APPROVAL_THRESHOLD;
      const placed: [Promise<string>, string][] = [
        [submit(order()), 'COMPLETED'],
        [
          submit(order({ customer: { id: 'cust-2002', email: 'grace@example.com', name: 'Grace Hopper' } })),
          'COMPLETED',
        ],
        [submit(order({ customer: { id: 'cust-declined-1001', email: 'ada@example.com' } })), 'TRANSACTION_REVOKED'],
        [submit(order({ items: [{ sku: 'SKU-RARE-000', quantity: 1, unitPrice: 999 }] })), 'REJECTED'],
        [
          submit(order({ items: [{ sku: 'SKU-LAMP-004', quantity: 3, unitPrice: threshold / 2 }] })),
          'AWAITING_APPROVAL',
        ],
        [
          submit(order({ customer: { id: 'cust-3003', email: 'alan@review.test', name: 'Alan Turing' } })),
          'AWAITING_APPROVAL',
        ],
      ];
      for (const [id, status] of placed) await reaches(await id, status);
      const approveMe = await submit(
        order({ items: [{ sku: 'SKU-LAMP-004', quantity: 1, unitPrice: threshold + 1 }] }),
      );
      await reaches(approveMe, 'AWAITING_APPROVAL');

      // The fraud model answers slow.test addresses late: it times out, and the rules scorer decides.
      const fellBack = await submit(
        order({ customer: { id: 'cust-4004', email: 'kay@slow.test', name: 'Kay Thompson' } }),
      );
      await reaches(fellBack, 'COMPLETED');

      services.faults.payments.set({ ...NO_FAULTS, outage: 'unavailable' });
      const parked = [submit(order({ customer: { id: 'cust-5005', email: 'edsger@example.com' } })), submit(order())];
      for (const id of parked) await reaches(await id, 'NEEDS_ATTENTION');
      services.faults.payments.reset();

      say(`photographing the console with ${executablePath}`);
      fs.mkdirSync(OUT_DIR, { recursive: true });
      const browser = await chromium.launch({ executablePath });
      try {
        const as = async (role: string | null, view: string, shoot: (page: Page) => Promise<void>) => {
          const context = await browser.newContext({ viewport: VIEWPORT, locale: 'en-GB', timezoneId: 'UTC' });
          const page = await context.newPage();
          await page.goto(`${base}/console/`);
          if (role) {
            await page.getByLabel('API token').fill(token(role));
            await page.getByRole('button', { name: 'Sign in' }).click();
            await page.getByText('Signed in as').waitFor();
            await page.goto(`${base}/console/${view}`);
            await page.getByText('Updated').first().waitFor();
          }
          await shoot(page);
          await context.close();
        };
        const save = (page: Page, name: string, fullPage = false) =>
          page.screenshot({ path: path.join(OUT_DIR, name), fullPage }).then(() => say(`wrote docs/console/${name}`));

        await as(null, '', (page) => save(page, 'sign-in.png'));
        await as('viewer', '#/orders', (page) => save(page, 'orders.png'));
        await as('approver', '#/approvals', async (page) => {
          await page.getByRole('article').nth(2).waitFor();
          await save(page, 'approvals.png');
          const card = page.getByRole('article', { name: approveMe });
          await card.getByLabel('Comment').fill('Customer verified by phone.');
          await card.getByRole('button', { name: 'Approve' }).click();
          await page.getByText(`Approved ${approveMe}`).waitFor();
          await save(page, 'approval-outcome.png');
        });
        await as('operator', '#/parked', async (page) => {
          await page.getByRole('article').nth(1).waitFor();
          await save(page, 'parked.png');
        });
        await as('operator', `#/orders/${fellBack}`, (page) => save(page, 'order.png', true));
      } finally {
        await browser.close();
      }
    });
  } finally {
    server.close();
    server.closeAllConnections();
    await services.close();
    await db.close();
    await env.teardown();
  }
}

main().then(
  () => process.exit(0),
  (err: unknown) => {
    process.stderr.write(`console-screenshots: ${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
    process.exit(1);
  },
);
