/**
 * The console over the real saga: the order workflow and its activities on a worker, the
 * reference services, a dev server for the lists. An approver approves an order from the queue
 * and follows it, on its page, until it completes.
 */
import assert from 'node:assert/strict';
import { randomUUID } from 'node:crypto';
import { after, before, describe, test } from 'node:test';
import type { Browser } from 'playwright-core';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import { createApp } from '../../src/api/app';
import { runWorkers } from '../../src/temporal/workers';
import type { Worker } from '@temporalio/worker';
import { sampleOrder, submitOrder, testConfig, TOKENS } from '../api/harness';
import { createLocalEnv } from '../harness/temporal';
import { createProductionWorkers } from '../e2e/harness';
import { setStock, startTestServices, type TestServices } from '../services/harness';
import {
  browserTestsSkipped,
  card,
  closeConsole,
  launchBrowser,
  openConsole,
  outcome,
  serve,
  type Served,
  signIn,
} from './browser';

const SEEN = { timeout: 30_000 };
const skip = browserTestsSkipped();

describe('operator console over the real saga', { skip }, () => {
  let browser: Browser;
  let env: TestWorkflowEnvironment;
  let services: TestServices;
  let workers: Worker[];
  let running: Promise<void>;
  let served: Served;
  let app: ReturnType<typeof createApp>;

  before(async () => {
    browser = await launchBrowser();
    [env, services] = await Promise.all([createLocalEnv(), startTestServices()]);
    let taskQueue: string;
    ({ taskQueue, workers } = await createProductionWorkers(env, services));
    running = runWorkers(workers);
    app = createApp({ client: env.client, config: testConfig({ TEMPORAL_TASK_QUEUE: taskQueue }) });
    served = await serve(app);
  });
  after(async () => {
    await browser?.close();
    await served?.close();
    for (const worker of workers ?? []) worker.shutdown();
    await running;
    await Promise.all([env?.teardown(), services?.stop()]);
  });

  test('an approver approves from the queue and follows the order until it completes', async () => {
    const sku = `SKU-CONSOLE-${randomUUID().slice(0, 8).toUpperCase()}`;
    await setStock(services.urls.inventory, sku, 10);
    // Above the approval threshold: it waits for a person.
    const res = await submitOrder(app, sampleOrder({ items: [{ sku, quantity: 2, unitPrice: 60_000 }] }));
    assert.equal(res.status, 202, JSON.stringify(res.body));
    const orderId = (res.body as { orderId: string }).orderId;

    const session = await openConsole(browser, served.url);
    const { page } = session;
    await signIn(page, TOKENS.approver);
    const row = card(page, orderId);
    await row.waitFor(SEEN); // after fraud scoring, in AWAITING_APPROVAL
    assert.match(await row.innerText(), /Fraud score\s+0\.\d\d \(model\)/);
    await row.getByLabel('Comment').fill('known customer');
    await row.getByRole('button', { name: 'Approve' }).click();
    const approved = outcome(page, `Approved ${orderId}: now inventory locked.`);
    await approved.waitFor(SEEN);

    // The order page keeps reading the order: payment, shipment, completion.
    await approved.getByRole('link', { name: 'Open the order' }).click();
    await page.locator('.headline').getByText('completed').waitFor(SEEN);
    const timeline = await page.locator('.timeline').innerText();
    for (const step of [/approved by alice/, /payment captured/, /shipping dispatched/, /completed/])
      assert.match(timeline, step);
    assert.match(
      await page.getByRole('region', { name: 'Order', exact: true }).innerText(),
      /Shipment\s+\S+, tracking/,
    );
    await closeConsole(session);
  });
});
