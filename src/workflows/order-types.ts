/**
 * The order as the saga sees it. Plain types only (workflow-safe): validation with zod
 * happens at the API and in activities, never in the workflow bundle.
 * Money is always an integer in minor units (cents) with an ISO 4217 currency code.
 */

export interface OrderItem {
  sku: string;
  quantity: number;
  /** Price of one unit, in minor units. */
  unitPrice: number;
}

export interface Customer {
  id: string;
  email: string;
  name?: string;
}

export interface ShippingAddress {
  name: string;
  line1: string;
  line2?: string;
  city: string;
  postalCode: string;
  /** ISO 3166-1 alpha-2. */
  country: string;
}

/** The two carriers, by their downstream names: the backup ships when the primary cannot. */
export type Carrier = 'primaryCarrier' | 'backupCarrier';

/** What a client submits (the body of `POST /orders`). */
export interface OrderRequest {
  customer: Customer;
  items: OrderItem[];
  /** ISO 4217, e.g. "EUR". */
  currency: string;
  shippingAddress: ShippingAddress;
}

/**
 * Business rules captured when the order starts, so that an order keeps the rules it began
 * with even if configuration changes while it is in flight (and replay stays deterministic).
 */
export interface OrderPolicy {
  /** Orders whose total (minor units) is above this wait for a human approval. */
  approvalThreshold: number;
  /** Fraud scores in [reviewBandLow, reviewBandHigh) wait for approval; >= reviewBandHigh is fraud. */
  fraudReviewBand: { low: number; high: number };
  /** Identities allowed to decide an approval. */
  approvers: string[];
  /** No decision within this window pages a human (once). Duration string, e.g. "24h". */
  approvalEscalateAfter: string;
  /** Still no decision this long after the request: auto-reject. e.g. "72h". */
  approvalAutoRejectAfter: string;
  /**
   * An order still INVENTORY_LOCKED this long after entering it raises one high-priority alert.
   * Absent from orders started before the watchdog existed: DEFAULT_INVENTORY_LOCKED_SLA applies.
   */
  inventoryLockedSla?: string;
}

export const DEFAULT_INVENTORY_LOCKED_SLA = '300s';

/** The workflow's input. `orderId` is also the workflow id (the idempotency filter). */
export interface OrderInput extends OrderRequest {
  orderId: string;
  /** Sum of quantity × unitPrice, minor units. */
  total: number;
  policy: OrderPolicy;
  /** Correlates API request logs with this workflow. */
  requestId?: string;
}

export const DEFAULT_ORDER_POLICY: OrderPolicy = {
  approvalThreshold: 100_000,
  fraudReviewBand: { low: 0.6, high: 0.85 },
  approvers: [],
  approvalEscalateAfter: '24h',
  approvalAutoRejectAfter: '72h',
  inventoryLockedSla: DEFAULT_INVENTORY_LOCKED_SLA,
};

/** The durations an order policy accepts ("300s", "24h", "3d"); the API validates against the same pattern. */
export const POLICY_DURATION = /^(\d+)\s*(ms|s|m|h|d)$/;
const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;

/** A policy duration in milliseconds. */
export function durationMs(duration: string): number {
  const match = POLICY_DURATION.exec(duration);
  if (!match) throw new TypeError(`not a policy duration: ${JSON.stringify(duration)}`);
  return Number(match[1]) * UNIT_MS[match[2] as keyof typeof UNIT_MS];
}

export function orderTotal(items: readonly OrderItem[]): number {
  return items.reduce((sum, item) => sum + item.quantity * item.unitPrice, 0);
}

/** A fraud scorer's verdict on an order. */
export interface FraudAssessment {
  /** 0 (clean) .. 1 (certain fraud). */
  score: number;
  reasons: string[];
  /** Which scorer decided: the model-like scorer or the deterministic rules. */
  scorer: 'model' | 'rules';
}

/** What the workflow knows when its SLA watchdog fires; the activity adds where to look. */
export interface SlaAlertRequest {
  orderId: string;
  customerId: string;
  status: string;
  /** When the order entered `status` (workflow time, ISO 8601). */
  enteredStateAt: string;
  timeInStateMs: number;
  /** The SLA, as in the order's policy (e.g. "5m"). */
  limit: string;
  lastError: { step: string; type: string; message: string; at: string; attempt?: number | undefined } | null;
}

/** ISO 4217 currencies whose minor unit is not the cent (2 digits); every other code has 2. */
const MINOR_DIGITS: Readonly<Record<string, number>> = {
  ...Object.fromEntries(
    [
      'BIF',
      'CLP',
      'DJF',
      'GNF',
      'ISK',
      'JPY',
      'KMF',
      'KRW',
      'PYG',
      'RWF',
      'UGX',
      'VND',
      'VUV',
      'XAF',
      'XOF',
      'XPF',
    ].map((code) => [code, 0]),
  ),
  ...Object.fromEntries(['BHD', 'IQD', 'JOD', 'KWD', 'LYD', 'OMR', 'TND'].map((code) => [code, 3])),
};

/** An amount in minor units, for people: `formatMoney(4000, 'EUR')` → "40.00 EUR". */
export function formatMoney(minor: number, currency: string): string {
  const digits = MINOR_DIGITS[currency] ?? 2;
  const sign = minor < 0 ? '-' : '';
  const abs = Math.abs(Math.trunc(minor));
  const units = Math.floor(abs / 10 ** digits);
  const fraction = digits > 0 ? `.${String(abs % 10 ** digits).padStart(digits, '0')}` : '';
  return `${sign}${units}${fraction} ${currency}`;
}

/**
 * Temporal keeps a workflow's summary to 400 bytes and its details to 20 000 (UTF-8, after JSON
 * encoding); the texts below stay well inside, whatever the customer typed.
 */
const SUMMARY_BYTES = 300;
const DETAIL_LINES = 20;

/**
 * The static summary (one line) and details (Markdown) an order is started with: what the Web
 * UI's list and the order's page show, and what `temporal workflow describe` prints. Built once
 * by the starter (`staticSummary` / `staticDetails` start options); the workflow keeps its
 * current details itself.
 */
export function orderStartMetadata(input: OrderInput): { staticSummary: string; staticDetails: string } {
  const { customer, items, currency, shippingAddress } = input;
  const units = items.reduce((sum, item) => sum + item.quantity, 0);
  const who = customer.name ? `${oneLine(customer.name)} (${customer.id})` : customer.id;
  const summary = `Order for ${who}: ${formatMoney(input.total, currency)}, ${plural(items.length, 'line')}, ${plural(units, 'unit')}`;
  const lines = items
    .slice(0, DETAIL_LINES)
    .map(
      ({ sku, quantity, unitPrice }) =>
        `  - ${quantity} × \`${oneLine(sku)}\` at ${formatMoney(unitPrice, currency)} = ${formatMoney(quantity * unitPrice, currency)}`,
    );
  if (items.length > DETAIL_LINES) lines.push(`  - … and ${plural(items.length - DETAIL_LINES, 'more line')}`);
  // A list, so that the Web UI's Markdown keeps one fact per line.
  const details = [
    `- **Customer:** ${who}`,
    `- **Total:** ${formatMoney(input.total, currency)}`,
    `- **Ship to:** ${oneLine(shippingAddress.city)}, ${shippingAddress.country}`,
    `- **Items:**`,
    ...lines,
  ].join('\n');
  return { staticSummary: truncateUtf8(summary, SUMMARY_BYTES), staticDetails: details };
}

const plural = (n: number, noun: string) => `${n} ${noun}${n === 1 ? '' : 's'}`;

/** Free text as one line of prose: no line breaks, and no backtick to open a code span. */
export function oneLine(text: string): string {
  return text.replace(/\s+/g, ' ').replace(/`/g, "'").trim();
}

const utf8Size = (char: string) => {
  const cp = char.codePointAt(0) ?? 0;
  return cp < 0x80 ? 1 : cp < 0x800 ? 2 : cp < 0x10000 ? 3 : 4;
};

/** `text` cut to at most `maxBytes` of UTF-8, ending with an ellipsis when cut. */
export function truncateUtf8(text: string, maxBytes: number): string {
  const chars = [...text];
  if (chars.reduce((sum, char) => sum + utf8Size(char), 0) <= maxBytes) return text;
  let bytes = utf8Size('…');
  let kept = '';
  for (const char of chars) {
    bytes += utf8Size(char);
    if (bytes > maxBytes) break;
    kept += char;
  }
  return `${kept}…`;
}
