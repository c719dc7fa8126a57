/**
 * The console in a real browser: Debian's Chromium driven by playwright-core (never a browser
 * Playwright downloads), against the API served in process on 127.0.0.1:0.
 *
 * Without a Chromium the browser tests skip with a message — unless CI is set: there they fail,
 * so a CI machine without `apt-get install chromium` cannot pass silently. CONSOLE_BROWSER_TESTS=skip
 * turns them off on purpose (a CI leg that only checks another Node version).
 */
import assert from 'node:assert/strict';
import fs from 'node:fs';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Express } from 'express';
import { chromium, type Browser, type BrowserContext, type Page } from 'playwright-core';

/** TEMPORAL_UI_URL as the API reads it: the default unless the environment sets one. */
export const WEB_UI = (process.env.TEMPORAL_UI_URL || 'http://localhost:8233').replace(/\/+$/, '');

const CANDIDATES = ['/usr/bin/chromium', '/usr/bin/chromium-browser', '/usr/bin/google-chrome'];

export function findChromium(): string | null {
  const explicit = process.env.CHROMIUM_PATH;
  if (explicit) return fs.existsSync(explicit) ? explicit : null;
  return CANDIDATES.find((file) => fs.existsSync(file)) ?? null;
}

/** Why the browser tests skip here (a message for the test report), or false when they run. */
export function browserTestsSkipped(): string | false {
  let reason: string | false = false;
  if (process.env.CONSOLE_BROWSER_TESTS === 'skip') reason = 'CONSOLE_BROWSER_TESTS=skip';
  // In CI a missing Chromium is not skipped: launchBrowser() fails with the reason.
  else if (!findChromium() && !process.env.CI)
    reason = "no Chromium found: install Debian's chromium (apt-get install chromium) or set CHROMIUM_PATH";
  if (reason) process.stderr.write(`console browser tests skipped: ${reason}\n`);
  return reason;
}

export async function launchBrowser(): Promise<Browser> {
  const executablePath = findChromium();
  if (!executablePath)
    throw new Error(
      "CI is set but no Chromium was found: install Debian's chromium (apt-get install chromium) or set " +
        'CHROMIUM_PATH; CONSOLE_BROWSER_TESTS=skip turns the browser tests off',
    );
  return chromium.launch({ executablePath });
}

export interface Served {
  url: string;
  close(): Promise<void>;
}

/** Serves `app` on a free loopback port, for the browser. */
export async function serve(app: Express): Promise<Served> {
  const server = http.createServer(app);
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as AddressInfo;
  return {
    url: `http://127.0.0.1:${port}`,
    close: () =>
      new Promise((resolve, reject) => {
        server.closeAllConnections();
        server.close((err) => (err ? reject(err) : resolve()));
      }),
  };
}

/**
 * A fresh browser context (its own sessionStorage: a new tab's session) whose page records
 * every script error and console error, CSP violations included.
 */
export async function openConsole(
  browser: Browser,
  baseUrl: string,
): Promise<{ context: BrowserContext; page: Page; problems: string[] }> {
  const context = await browser.newContext({ baseURL: baseUrl, locale: 'en-GB', timezoneId: 'Europe/London' });
  const page = await context.newPage();
  const problems: string[] = [];
  page.on('pageerror', (err) => problems.push(`page error: ${err.message}`));
  page.on('console', (msg) => {
    if (msg.type() === 'error') problems.push(`console error: ${msg.text()}`);
  });
  await page.goto('/console/');
  return { context, page, problems };
}

export async function signIn(page: Page, token: string): Promise<void> {
  await page.getByLabel('API token').fill(token);
  await page.getByRole('button', { name: 'Sign in' }).click();
  await page.getByText('Signed in as').waitFor();
}

/** The console's answer to an action or refusal, as the outcome list shows it. */
export function outcome(page: Page, text: string | RegExp) {
  return page.getByRole('list', { name: 'Results of your actions' }).getByRole('listitem').filter({ hasText: text });
}

/** The card of one order in a queue. */
export function card(page: Page, orderId: string) {
  return page.getByRole('article', { name: orderId });
}

/**
 * Closes the context and asserts the page logged no error and the CSP refused nothing. Expected
 * refusals (the API answering 409 is logged by the browser as a failed resource) are filtered out.
 */
export async function closeConsole(
  { context, problems }: { context: BrowserContext; problems: string[] },
  expected: RegExp[] = [],
): Promise<void> {
  await context.close();
  const unexpected = problems.filter((p) => !expected.some((re) => re.test(p)));
  assert.deepEqual(unexpected, [], 'the console logged errors');
}
