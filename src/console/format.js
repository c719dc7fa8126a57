/** Words and numbers for people: statuses, money in minor units, times and durations. */

export const STATUSES = [
  'RECEIVED',
  'INVENTORY_LOCKED',
  'AWAITING_APPROVAL',
  'PAYMENT_CAPTURED',
  'SHIPPING_DISPATCHED',
  'COMPLETED',
  'COMPENSATING',
  'TRANSACTION_REVOKED',
  'CANCELLED',
  'REJECTED',
  'NEEDS_ATTENTION',
];
export const TERMINAL = new Set(['COMPLETED', 'TRANSACTION_REVOKED', 'CANCELLED', 'REJECTED']);

/** "AWAITING_APPROVAL" → "awaiting approval". */
export const statusWords = (status) => (status ? status.toLowerCase().replaceAll('_', ' ') : 'unknown');

// The API's minor-unit exponents (src/workflows/order-types.ts): 2 unless listed.
const ZERO_DIGITS = 'BIF CLP DJF GNF ISK JPY KMF KRW PYG RWF UGX VND VUV XAF XOF XPF'.split(' ');
const THREE_DIGITS = 'BHD IQD JOD KWD LYD OMR TND'.split(' ');

/** 4000, "EUR" → "€40.00" (in the browser's locale). */
export function money(minor, currency) {
  if (typeof minor !== 'number') return '—';
  if (!currency) return String(minor);
  const digits = ZERO_DIGITS.includes(currency) ? 0 : THREE_DIGITS.includes(currency) ? 3 : 2;
  try {
    return new Intl.NumberFormat(undefined, {
      style: 'currency',
      currency,
      minimumFractionDigits: digits,
      maximumFractionDigits: digits,
    }).format(minor / 10 ** digits);
  } catch {
    return `${minor / 10 ** digits} ${currency}`;
  }
}

const dateTime = new Intl.DateTimeFormat(undefined, { dateStyle: 'medium', timeStyle: 'short' });
const timeOnly = new Intl.DateTimeFormat(undefined, { timeStyle: 'medium' });

/** An ISO time (or Date) as local date and time; today's as the time only, to the second. */
export function when(value) {
  if (!value) return '—';
  const date = value instanceof Date ? value : new Date(value);
  if (Number.isNaN(date.getTime())) return String(value);
  return date.toDateString() === new Date().toDateString() ? timeOnly.format(date) : dateTime.format(date);
}

/** 7_384_000 → "2 h 3 min". */
export function duration(ms) {
  if (!Number.isFinite(ms)) return '—';
  const s = Math.max(0, Math.round(ms / 1000));
  const [d, h, m] = [Math.floor(s / 86400), Math.floor((s % 86400) / 3600), Math.floor((s % 3600) / 60)];
  if (d > 0) return `${d} d ${h} h`;
  if (h > 0) return `${h} h ${m} min`;
  if (m > 0) return `${m} min ${s % 60} s`;
  return `${s} s`;
}

/** Time since an ISO time, e.g. "4 min 10 s". */
export const since = (iso) => (iso ? duration(Date.now() - Date.parse(iso)) : '—');

const UNIT_MS = { ms: 1, s: 1000, m: 60_000, h: 3_600_000, d: 86_400_000 };

/** An order policy duration ("24h", "300s") in milliseconds; null when absent or unreadable. */
export function policyMs(value) {
  const match = /^(\d+)\s*(ms|s|m|h|d)$/.exec(value ?? '');
  return match ? Number(match[1]) * UNIT_MS[match[2]] : null;
}

/** An ISO time plus a policy duration, as a Date; null when either is missing. */
export function after(iso, policyDuration) {
  const ms = policyMs(policyDuration);
  return iso && ms !== null ? new Date(Date.parse(iso) + ms) : null;
}

/** "In 3 h 2 min" or "2 min ago" for a moment relative to now. */
export function relative(date) {
  if (!date) return '—';
  const delta = date.getTime() - Date.now();
  return delta >= 0 ? `in ${duration(delta)}` : `${duration(-delta)} ago`;
}
