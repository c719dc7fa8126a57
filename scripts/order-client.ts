/**
 * A command-line client for the orders API, for people trying the template: builds sample
 * orders, signs them with the API's own signing module and prints what came back plus where
 * to look next (Web UI, temporal CLI). Reads the same environment as the API.
 *
 *   npm run order -- --scenario happy|declined|insufficient-funds|approval|review|out-of-stock
 *   npm run order -- --show <orderId>        (says whether a worker answered or Temporal's records did)
 *   npm run order -- --list [--status AWAITING_APPROVAL] [--customer cust-1001]
 *   npm run order -- --approve <orderId> [--comment "ok"]    (first approver token)
 *   npm run order -- --reject <orderId> [--comment "no"]     (first approver token)
 *   npm run order -- --cancel <orderId> [--reason "..."]     (first operator token)
 *   npm run order -- --retry <orderId> [--reason "..."]      (first operator token)
 * Options: --url <API base URL> (or ORDER_API_URL; default http://127.0.0.1:$API_PORT),
 *          --key <Idempotency-Key> to replay a submission, --token <bearer token>,
 *          --wait [--wait-timeout 5m] with any command but --list: follow the order, printing each
 *          status transition, until it ends. Exit code: 0 COMPLETED, 2 TRANSACTION_REVOKED,
 *          3 REJECTED, 4 CANCELLED, 5 NEEDS_ATTENTION (parked: retry it with --retry), 6 still
 *          going at the timeout; without --wait, 0 or 1 as the request went. 1: a request failed,
 *          64: bad usage. An order waiting for approval is followed on (approve it elsewhere).
 */
import { randomUUID } from 'node:crypto';
import { parseArgs } from 'node:util';
import { type ApiConfig, apiSchema, type Role } from '../src/api/config';
import { SIGNATURE_HEADER, signRequest } from '../src/api/signing';
import { ConfigError, loadConfig, temporalSchema } from '../src/config';
import type { OrderRequest } from '../src/workflows/order-types';
import { DEFAULT_WAIT_TIMEOUT_MS, followOrder, parseWaitTimeout, readOrder } from './order-client/follow';

/**
 * The values the reference services react to. Adjust here if the services' rules change.
 * Payments decline customer ids starting "cust-declined" and answer insufficient funds for
 * "cust-nofunds"; fraud scoring puts e-mail addresses at review.test in the review band;
 * inventory has no stock of the out-of-stock SKU.
 */
export const SCENARIO_TRIGGERS = {
  declinedCustomerId: 'cust-declined-1001',
  insufficientFundsCustomerId: 'cust-nofunds',
  reviewEmailDomain: 'review.test',
  outOfStockSku: 'SKU-RARE-000',
  happyCustomerId: 'cust-1001',
  catalog: [
    { sku: 'SKU-BOOK-003', unitPrice: 1_250 },
    { sku: 'SKU-LAMP-004', unitPrice: 4_900 },
  ],
} as const;

const SCENARIOS = ['happy', 'declined', 'insufficient-funds', 'approval', 'review', 'out-of-stock'] as const;
type Scenario = (typeof SCENARIOS)[number];

function sampleOrder(scenario: Scenario, config: ApiConfig): OrderRequest {
  const t = SCENARIO_TRIGGERS;
  const order: OrderRequest = {
    customer: { id: t.happyCustomerId, email: 'ada@example.com', name: 'Ada Lovelace' },
    items: [
      { sku: t.catalog[0].sku, quantity: 2, unitPrice: t.catalog[0].unitPrice },
      { sku: t.catalog[1].sku, quantity: 1, unitPrice: t.catalog[1].unitPrice },
    ],
    currency: 'EUR',
    shippingAddress: {
      name: 'Ada Lovelace',
      line1: '12 Analytical Row',
      city: 'London',
      postalCode: 'N1 9GU',
      country: 'GB',
    },
  };
  switch (scenario) {
    case 'happy':
      return order;
    case 'declined':
      return { ...order, customer: { ...order.customer, id: t.declinedCustomerId } };
    case 'insufficient-funds':
      return { ...order, customer: { ...order.customer, id: t.insufficientFundsCustomerId } };
    case 'approval':
      // One unit priced just above the configured threshold.
      return {
        ...order,
        items: [{ sku: t.catalog[1].sku, quantity: 1, unitPrice: config.ORDER_APPROVAL_THRESHOLD + 1 }],
      };
    case 'review':
      return { ...order, customer: { ...order.customer, email: `ada@${t.reviewEmailDomain}` } };
    case 'out-of-stock':
      return { ...order, items: [{ sku: t.outOfStockSku, quantity: 1, unitPrice: 999 }] };
  }
}

function tokenFor(config: ApiConfig, roles: Role[], explicit: string | undefined): string {
  if (explicit) return explicit;
  const found = config.API_TOKENS.find((t) => roles.includes(t.role));
  if (!found) throw new Error(`API_TOKENS has no token with role ${roles.join(' or ')}; pass --token`);
  return found.token;
}

async function send(
  method: string,
  url: string,
  headers: Record<string, string>,
  body?: string,
): Promise<{ status: number; body: unknown }> {
  let res: Response;
  try {
    res = await fetch(url, {
      method,
      headers,
      ...(body === undefined ? {} : { body }),
      signal: AbortSignal.timeout(30_000),
    });
  } catch (err) {
    throw new Error(
      `could not reach ${url} (${err instanceof Error ? err.message : String(err)}); is the API running (npm start)?`,
      { cause: err },
    );
  }
  const text = await res.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // not JSON: print as is
  }
  process.stdout.write(`${method} ${url} → ${res.status}\n`);
  for (const name of ['location', 'x-request-id', 'idempotent-replayed', 'retry-after']) {
    const value = res.headers.get(name);
    if (value) process.stdout.write(`${name}: ${value}\n`);
  }
  process.stdout.write(`${typeof parsed === 'string' ? parsed : JSON.stringify(parsed, null, 2)}\n`);
  return { status: res.status, body: parsed };
}

function hints(orderId: string, scenario?: Scenario): void {
  const temporal = loadConfig(temporalSchema);
  const ui = temporal.TEMPORAL_UI_URL.replace(/\/$/, '');
  const lines = [
    '',
    `Web UI:        ${ui}/namespaces/${encodeURIComponent(temporal.TEMPORAL_NAMESPACE)}/workflows/${orderId}`,
    `Temporal CLI:  npm run temporal:cli -- workflow describe --workflow-id ${orderId}`,
    `Order state:   npm run order -- --show ${orderId}`,
  ];
  if (scenario === 'approval' || scenario === 'review') {
    lines.push(
      `Approve:       npm run order -- --approve ${orderId}`,
      `Reject:        npm run order -- --reject ${orderId}`,
    );
  }
  lines.push(`Cancel:        npm run order -- --cancel ${orderId}`);
  process.stdout.write(`${lines.join('\n')}\n`);
}

/** Where GET /orders/:id took its answer from: the live query, or Temporal's records (no worker answered). */
function printSource(body: unknown): void {
  const { source, reason, missing } = body as { source?: unknown; reason?: unknown; missing?: unknown };
  const lines: string[] = [''];
  if (source === 'query') {
    lines.push("Source: the order's live getOrderState query (a worker answered).");
  } else if (source === 'records') {
    // `detail` (in the body above) says why and which task queue needs a worker.
    lines.push(`Source: Temporal's records, not a live query (${String(reason)}).`);
    const absent = Array.isArray(missing) ? missing.map(String) : [];
    lines.push(
      absent.length > 0
        ? `Missing (needs a worker): ${absent.join(', ')}`
        : 'Nothing is missing: this is the full final state.',
    );
  }
  if (lines.length > 1) process.stdout.write(`${lines.join('\n')}\n`);
}

const USAGE = `Usage: npm run order -- <command> [options]
Commands:
  --scenario ${SCENARIOS.join('|')}
                                       submit a sample order, signed
  --show <orderId>                     the order's full state (live, or from Temporal's records)
  --list [--status S] [--customer C]   list orders
  --approve|--reject <orderId> [--comment "..."]
  --cancel|--retry <orderId> [--reason "..."]
Options:
  --url <API base URL>   default ORDER_API_URL, else http://127.0.0.1:$API_PORT
  --key <key>            Idempotency-Key of a submission (replays it)
  --token <token>        bearer token (default: the first of API_TOKENS with the right role)
  --wait                 then follow the order (any command but --list), printing each status
                         transition, until it ends; one waiting for approval is followed on
  --wait-timeout <d>     stop following after d: 90s, 5m, 1h (default 5m)
Exit codes: 0 ok (with --wait: COMPLETED), 1 a request failed, 64 bad usage; with --wait also
  2 TRANSACTION_REVOKED, 3 REJECTED, 4 CANCELLED, 5 NEEDS_ATTENTION (parked: fix the cause, then
  --retry <orderId> --wait), 6 still going at the timeout.
`;

async function main(): Promise<number> {
  const { values } = parseArgs({
    options: {
      scenario: { type: 'string' },
      show: { type: 'string' },
      list: { type: 'boolean' },
      status: { type: 'string' },
      customer: { type: 'string' },
      approve: { type: 'string' },
      reject: { type: 'string' },
      cancel: { type: 'string' },
      retry: { type: 'string' },
      comment: { type: 'string' },
      reason: { type: 'string' },
      key: { type: 'string' },
      token: { type: 'string' },
      url: { type: 'string' },
      wait: { type: 'boolean' },
      'wait-timeout': { type: 'string' },
      help: { type: 'boolean', short: 'h' },
    },
    strict: true,
  });
  if (values.help) {
    process.stdout.write(USAGE);
    return 0;
  }
  if (values.wait && values.list) throw new UsageError('--wait follows one order; it does not apply to --list');
  let timeoutMs = DEFAULT_WAIT_TIMEOUT_MS;
  try {
    if (values['wait-timeout'] !== undefined) timeoutMs = parseWaitTimeout(values['wait-timeout']);
  } catch (err) {
    throw new UsageError((err as Error).message);
  }
  const config = loadConfig(apiSchema);
  const base = (values.url ?? process.env.ORDER_API_URL ?? `http://127.0.0.1:${config.API_PORT}`).replace(/\/$/, '');
  const bearer = (roles: Role[]) => ({ Authorization: `Bearer ${tokenFor(config, roles, values.token)}` });
  const json = { 'Content-Type': 'application/json' };
  const orderUrl = (id: string) => `${base}/orders/${encodeURIComponent(id)}`;
  /** The exit code of a request, or — with --wait and a request that went through — of the order's end. */
  const outcome = async (status: number, orderId: unknown): Promise<number> => {
    if (status >= 400) return 1;
    if (!values.wait || typeof orderId !== 'string') return 0;
    const headers = bearer(['viewer', 'operator', 'approver']);
    return followOrder({
      orderId,
      read: () => readOrder(orderUrl(orderId), headers),
      write: (line) => process.stdout.write(`${line}\n`),
      timeoutMs,
    });
  };

  if (values.scenario !== undefined) {
    const scenario = values.scenario as Scenario;
    if (!SCENARIOS.includes(scenario)) throw new UsageError(`--scenario must be one of ${SCENARIOS.join(', ')}`);
    const body = JSON.stringify(sampleOrder(scenario, config));
    // The first configured secret signs; the API accepts any of them.
    const key = values.key ?? randomUUID();
    const signature = signRequest(
      { method: 'POST', path: new URL(`${base}/orders`).pathname, idempotencyKey: key, body },
      config.API_SIGNING_SECRETS[0]!,
    );
    const res = await send(
      'POST',
      `${base}/orders`,
      { ...json, [SIGNATURE_HEADER]: signature, 'Idempotency-Key': key },
      body,
    );
    const orderId = (res.body as { orderId?: unknown }).orderId;
    if (typeof orderId === 'string') hints(orderId, scenario);
    return outcome(res.status, orderId);
  }
  if (values.show) {
    const res = await send('GET', orderUrl(values.show), bearer(['viewer', 'operator', 'approver']));
    if (res.status === 200) printSource(res.body);
    return outcome(res.status, values.show);
  }
  if (values.list) {
    const query = new URLSearchParams({
      ...(values.status ? { status: values.status } : {}),
      ...(values.customer ? { customerId: values.customer } : {}),
    });
    const res = await send('GET', `${base}/orders?${query.toString()}`, bearer(['viewer', 'operator', 'approver']));
    return outcome(res.status, undefined);
  }
  const decide = values.approve ?? values.reject;
  if (decide) {
    const body = JSON.stringify({
      decision: values.approve ? 'approve' : 'reject',
      ...(values.comment ? { comment: values.comment } : {}),
    });
    const res = await send('POST', `${orderUrl(decide)}/approval`, { ...json, ...bearer(['approver']) }, body);
    return outcome(res.status, decide);
  }
  if (values.cancel) {
    const body = JSON.stringify({ reason: values.reason ?? "cancelled at the customer's request" });
    const res = await send('POST', `${orderUrl(values.cancel)}/cancel`, { ...json, ...bearer(['operator']) }, body);
    return outcome(res.status, values.cancel);
  }
  if (values.retry) {
    const body = JSON.stringify(values.reason ? { reason: values.reason } : {});
    const res = await send('POST', `${orderUrl(values.retry)}/retry`, { ...json, ...bearer(['operator']) }, body);
    return outcome(res.status, values.retry);
  }
  process.stderr.write(USAGE);
  return 64;
}

class UsageError extends Error {}

main().then(
  (code) => process.exit(code),
  (err: unknown) => {
    process.stderr.write(`${err instanceof ConfigError || err instanceof Error ? err.message : String(err)}\n`);
    // Bad arguments (parseArgs' own errors included) are usage errors.
    const usage = err instanceof UsageError || String((err as { code?: unknown }).code).startsWith('ERR_PARSE_ARGS_');
    process.exit(usage ? 64 : 1);
  },
);
