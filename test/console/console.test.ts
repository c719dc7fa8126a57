/**
 * The operator console in a real browser (Chromium via playwright-core) against the API in
 * process, with the API tests' stand-in workflows (test/fixtures/api-workflows.ts): an order
 * above the approval threshold waits for approval, `cust-parked` parks in NEEDS_ATTENTION,
 * `cust-slow-cancel` takes an hour to cancel. A real dev server, so lists come from visibility.
 */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import type { Browser, Page } from 'playwright-core';
import request from 'supertest';
import { type ApiHarness, bearer, newKey, sampleOrder, startApiHarness, submitOrder, TOKENS } from '../api/harness';
import type { OrderState } from '../../src/workflows/definitions';
import type { OrderRequest } from '../../src/workflows/order-types';
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
  WEB_UI,
} from './browser';

// Lists refresh every 4 s and visibility lags a little behind the orders.
const SEEN = { timeout: 20_000 };
const REFUSED = [/Failed to load resource: the server responded with a status of (401|409)/];

const skip = browserTestsSkipped();

describe('operator console in Chromium', { skip }, () => {
  let h: ApiHarness;
  let served: Served;
  let browser: Browser;

  before(async () => {
    browser = await launchBrowser();
    // A short settle wait, so the hour-long cancellation answers 202 promptly.
    h = await startApiHarness({ visibility: true, config: { API_STEERING_WAIT_MS: '1500' } });
    served = await serve(h.app);
  });
  after(async () => {
    await browser?.close();
    await served?.close();
    await h?.stop();
  });

  async function placeOrder(overrides: Partial<OrderRequest> = {}): Promise<string> {
    const res = await submitOrder(h.app, sampleOrder(overrides), { key: newKey() });
    assert.equal(res.status, 202, JSON.stringify(res.body));
    return (res.body as { orderId: string }).orderId;
  }
  const bigOrder = { items: [{ sku: 'SKU-PIANO', quantity: 2, unitPrice: 250_000 }] };
  const parkedOrder = { customer: { id: 'cust-parked', email: 'parked@example.com' } };

  async function orderState(orderId: string): Promise<OrderState> {
    const res = await request(h.app).get(`/orders/${orderId}`).set(bearer(TOKENS.viewer));
    assert.equal(res.status, 200, JSON.stringify(res.body));
    return res.body as OrderState;
  }

  const open = async (token: string) => {
    const session = await openConsole(browser, served.url);
    await signIn(session.page, token);
    return session;
  };

  test('an approver approves an order from the queue, with a comment, and sees it leave the queue', async () => {
    const orderId = await placeOrder(bigOrder);
    const session = await open(TOKENS.approver);
    const { page } = session;
    await page.waitForURL(/#\/approvals$/); // an approver starts at the queue
    const row = card(page, orderId);
    await row.waitFor(SEEN);
    assert.match(await row.innerText(), /€5,000\.00/);
    assert.match(await row.innerText(), /total above the approval threshold/);
    await row.getByLabel('Comment').fill('checked in the console');
    await row.getByRole('button', { name: 'Approve' }).click();

    await outcome(page, `Approved ${orderId}: now inventory locked.`).waitFor(SEEN);
    await row.waitFor({ state: 'detached', ...SEEN });
    const state = await orderState(orderId);
    assert.equal(state.status, 'INVENTORY_LOCKED');
    assert.deepEqual(
      { by: state.approval?.decision?.approver, comment: state.approval?.decision?.comment },
      { by: 'alice', comment: 'checked in the console' },
    );

    // The order page tells the story: the decision and the transition it caused.
    await page.goto(`/console/#/orders/${orderId}`);
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    assert.match(await page.locator('.timeline').innerText(), /approved by alice/);
    assert.match(await page.getByRole('region', { name: 'Approval', exact: true }).innerText(), /Approved by alice/);
    const ui = page.getByRole('link', { name: 'Open in the Temporal Web UI' });
    assert.equal(await ui.getAttribute('href'), `${WEB_UI}/namespaces/default/workflows/${orderId}`);
    assert.match(await page.getByLabel(/CLI/).inputValue(), new RegExp(`--workflow-id ${orderId}$`));
    await closeConsole(session);
  });

  test('keyboard only: sign in, tab to an order in the queue and approve it, the focus always visible', async () => {
    const orderId = await placeOrder(bigOrder);
    const session = await openConsole(browser, served.url);
    const { page } = session;
    // The token field takes the focus on arrival (once the page's modules have run).
    await page.waitForFunction("document.activeElement && document.activeElement.id === 'token'");
    await page.keyboard.type(TOKENS.approver);
    await page.keyboard.press('Enter');
    const approve = card(page, orderId).getByRole('button', { name: 'Approve' });
    await approve.waitFor(SEEN);
    const visited: string[] = [];
    for (;;) {
      assert.ok(visited.length < 80, `Approve not reached by Tab; visited ${visited.join(', ')}`);
      await page.keyboard.press('Tab');
      const focused = await page.evaluate<Focused>(FOCUSED);
      assert.ok(focused.ring, `no visible focus on ${focused.name}`);
      visited.push(focused.name);
      if (focused.name === 'BUTTON Approve' && focused.card === `title-${orderId}`) break;
    }
    await page.keyboard.press('Enter');
    await outcome(page, `Approved ${orderId}: now inventory locked.`).waitFor(SEEN);
    await closeConsole(session);
  });

  test('Reject asks once more: Escape backs out, the confirmation rejects', async () => {
    const orderId = await placeOrder(bigOrder);
    const session = await open(TOKENS.approver);
    const { page } = session;
    const row = card(page, orderId);
    await row.getByRole('button', { name: 'Reject' }).click(SEEN);
    await row.getByRole('group', { name: `Reject ${orderId}? It will be compensated and end REJECTED.` }).waitFor();
    await focusOn(page, 'BUTTON Yes, reject');
    await page.keyboard.press('Escape');
    await focusOn(page, 'BUTTON Reject'); // back where the question was asked
    await page.keyboard.press('Enter');
    await focusOn(page, 'BUTTON Yes, reject');
    await page.keyboard.press('Enter');
    await outcome(page, `Rejected ${orderId}: now rejected.`).waitFor(SEEN);
    assert.equal((await orderState(orderId)).status, 'REJECTED');
    await closeConsole(session);
  });

  test('an operator retries a parked order and sees how it settled', async () => {
    const orderId = await placeOrder(parkedOrder);
    const session = await open(TOKENS.operator);
    const { page } = session;
    await page.waitForURL(/#\/parked$/); // an operator starts at the parked orders
    const row = card(page, orderId);
    await row.waitFor(SEEN);
    assert.match(await row.innerText(), /payments stayed down/);
    // Parked on an undo (no forward step): the workflow would refuse a cancel, so none is offered.
    assert.equal(await row.getByRole('button', { name: 'Cancel order' }).count(), 0);
    await row.getByLabel('Retry note').fill('payments are back');
    await row.getByRole('button', { name: 'Retry' }).click();

    await outcome(page, `Retried ${orderId}: now completed.`).waitFor(SEEN);
    await row.waitFor({ state: 'detached', ...SEEN });
    assert.equal((await orderState(orderId)).status, 'COMPLETED');
    await closeConsole(session);
  });

  test('an operator drains every parked order', async () => {
    const parked = [await placeOrder(parkedOrder), await placeOrder(parkedOrder)];
    const session = await open(TOKENS.operator);
    const { page } = session;
    for (const id of parked) await card(page, id).waitFor(SEEN);
    await page.getByRole('button', { name: 'Drain all' }).click();
    await page.getByRole('button', { name: 'Yes, retry them all' }).click();
    const report = page.locator('.drain-report');
    await report.waitFor(SEEN);
    for (const id of parked) assert.match(await report.innerText(), new RegExp(`${id}: retried`));
    for (const id of parked) assert.equal((await orderState(id)).status, 'COMPLETED');
    await closeConsole(session);
  });

  test('a viewer sees the queues and orders but no action', async () => {
    const waiting = await placeOrder(bigOrder);
    const parked = await placeOrder(parkedOrder);
    const session = await open(TOKENS.viewer);
    const { page } = session;
    await page.waitForURL(/#\/orders$/);
    await page.getByRole('link', { name: 'Approval queue' }).click();
    await card(page, waiting).waitFor(SEEN);
    await page.getByRole('link', { name: 'Parked orders' }).click();
    await card(page, parked).waitFor(SEEN);
    await page.goto(`/console/#/orders/${waiting}`);
    await page.getByRole('heading', { name: 'Timeline' }).waitFor();
    for (const view of ['#/approvals', '#/parked', `#/orders/${waiting}`, `#/orders/${parked}`]) {
      await page.goto(`/console/${view}`);
      await page.locator('main h1').waitFor();
      await page.getByText(/Updated/).waitFor(SEEN);
      assert.deepEqual(await actionButtons(page), [], `no actions for a viewer on ${view}`);
    }
    await closeConsole(session);
  });

  test("the API's refusal is shown in words, and an approver not on the order's list is told so", async () => {
    const orderId = await placeOrder(bigOrder);
    const session = await open(TOKENS.approver);
    const { page } = session;
    const row = card(page, orderId);
    await row.waitFor(SEEN);
    // Live updates off (WCAG 2.2.2: moving content can be paused): the card stays as it was read,
    // while someone else rejects the order (which ends its workflow).
    await page.getByLabel('Live updates').uncheck();
    const behindItsBack = await request(h.app)
      .post(`/orders/${orderId}/approval`)
      .set(bearer(TOKENS.approver))
      .send({ decision: 'reject' });
    assert.equal(behindItsBack.status, 200);
    await row.getByRole('button', { name: 'Approve' }).click();
    await outcome(
      page,
      /refused\. The order is not in a state that allows this \(409\): The order is closed \(completed\)/,
    ).waitFor(SEEN);
    await closeConsole(session, REFUSED);

    const other = await placeOrder(bigOrder);
    const carol = await open(TOKENS.otherApprover);
    const carolsRow = card(carol.page, other);
    await carolsRow.waitFor(SEEN);
    assert.match(await carolsRow.innerText(), /Only alice may decide this order; you are carol\./);
    assert.equal(await carolsRow.getByRole('button', { name: 'Approve' }).count(), 0);
    await closeConsole(carol);
  });

  test('a change still settling (202) is followed, then reported', async () => {
    const orderId = await placeOrder({ customer: { id: 'cust-slow-cancel', email: 'slow@example.com' } });
    const session = await open(TOKENS.operator);
    const { page } = session;
    await page.goto(`/console/#/orders/${orderId}`);
    await page.getByLabel('Cancellation reason').fill('customer changed their mind');
    await page.getByRole('button', { name: 'Cancel order' }).click();
    await outcome(page, `Cancelling ${orderId}: Accepted; the order is still settling…`).waitFor(SEEN);
    await closeConsole(session);
  });

  test('orders: search by status and customer, page through, open one by id', async () => {
    const customerId = `cust-console-${newKey().slice(0, 8)}`;
    const ids = [];
    for (let i = 0; i < 3; i++) ids.push(await placeOrder({ customer: { id: customerId, email: 'c@example.com' } }));
    const session = await open(TOKENS.viewer);
    const { page } = session;
    await page.getByLabel('Status').selectOption('INVENTORY_LOCKED');
    await page.getByLabel('Customer id').fill(customerId);
    await page.getByLabel('Per page').selectOption('10');
    await page.getByRole('button', { name: 'Search' }).click();
    await page.waitForURL(new RegExp(`status=INVENTORY_LOCKED&customer=${customerId}&size=10`));
    const rows = page.locator('table.orders tbody tr');
    await rowsShown(page, 3);
    assert.match(await rows.first().innerText(), /inventory locked/);

    // Two a page: the API's cursor takes the console to the third order and back.
    await page.goto(`/console/#/orders?customer=${customerId}&size=2`);
    await rowsShown(page, 2);
    await page.getByRole('button', { name: 'Next page' }).click();
    await rowsShown(page, 1);
    assert.ok(await page.getByRole('button', { name: 'Next page' }).isDisabled());
    await page.getByRole('button', { name: 'Previous page' }).click();
    await rowsShown(page, 2);

    await page.getByLabel('Order id').fill(ids[0]!);
    await page.getByRole('button', { name: 'Search' }).click();
    await page.getByRole('heading', { name: ids[0] }).waitFor();
    await closeConsole(session);
  });

  test('sign-in: a wrong token is refused; the session lasts for the tab, and signing out ends it', async () => {
    const session = await openConsole(browser, served.url);
    const { page } = session;
    await page.getByLabel('API token').fill('not-a-token-of-this-api');
    await page.getByRole('button', { name: 'Sign in' }).click();
    await page.getByRole('alert').filter({ hasText: 'The API does not accept this token.' }).waitFor();
    await signIn(page, TOKENS.operator);
    await page.reload();
    await page.getByText('Signed in as ops-bob').waitFor();
    assert.ok((await page.evaluate<number>('sessionStorage.length')) > 0);
    await page.getByRole('button', { name: 'Sign out' }).click();
    await page.getByLabel('API token').waitFor();
    assert.equal(await page.evaluate<string | null>("sessionStorage.getItem('orders-console.token')"), null);
    await closeConsole(session, REFUSED);
  });
});

/** The buttons and fields that would steer an order, anywhere on the page. */
async function actionButtons(page: Page): Promise<string[]> {
  const names = ['Approve', 'Reject', 'Retry', 'Cancel order', 'Drain all'];
  const found: string[] = [];
  for (const name of names) if ((await page.getByRole('button', { name, exact: true }).count()) > 0) found.push(name);
  return found;
}

/** Exactly `n` rows in the orders table (the list refreshes on its own). */
async function rowsShown(page: Page, n: number): Promise<void> {
  const rows = page.locator('table.orders tbody tr');
  await rows.nth(n - 1).waitFor(SEEN);
  await rows.nth(n).waitFor({ state: 'detached', ...SEEN });
}

/** Waits (the page moves the focus after rendering) until the focused element is `name`. */
async function focusOn(page: Page, name: string): Promise<void> {
  let focused: Focused | undefined;
  for (const deadline = Date.now() + 5000; Date.now() < deadline; await page.waitForTimeout(50)) {
    focused = await page.evaluate<Focused>(FOCUSED);
    if (focused.name === name) return;
  }
  assert.fail(`the focus is on ${focused?.name}, not ${name}`);
}

interface Focused {
  name: string;
  ring: boolean;
  card: string | null;
}
/** The focused element, whether it shows a focus ring, and the card it is in (a string: tests have no DOM types). */
const FOCUSED = `(() => {
  const el = document.activeElement;
  const style = getComputedStyle(el);
  return {
    name: el.tagName + ' ' + (el.textContent || '').trim().slice(0, 30),
    ring: style.outlineStyle !== 'none' && parseFloat(style.outlineWidth) >= 2,
    card: el.closest('article')?.getAttribute('aria-labelledby') ?? null,
  };
})()`;
