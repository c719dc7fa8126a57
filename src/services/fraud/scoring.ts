/**
 * Two fraud scorers, both deterministic given their input so tests and demos are stable.
 *  - model: a stand-in for an ML model. A per-customer baseline (a hash, 0–0.3) plus risk
 *    signals. It is "unsure" in the review band (reason `model_uncertain`) and can be slow.
 *  - rules: fixed, explainable rules. Cheap and always available: the fallback.
 * Magic values (email domain): `fraud.test` → fraud (≥ 0.9), `review.test` → review band (0.7),
 * `slow.test` → the model answers after its configured delay.
 * The default review band of the order policy is [0.6, 0.85).
 */
import { createHash } from 'node:crypto';

export interface ScoreRequest {
  orderId: string;
  customerId: string;
  email: string;
  total: number;
  currency: string;
  country: string;
  itemCount: number;
}

export interface FraudScore {
  score: number;
  reasons: string[];
  scorer: 'model' | 'rules';
}

export const FRAUD_EMAIL_DOMAIN = 'fraud.test';
export const REVIEW_EMAIL_DOMAIN = 'review.test';
export const SLOW_MODEL_EMAIL_DOMAIN = 'slow.test';
/** Totals (minor units) above this are a risk signal. */
export const HIGH_TOTAL = 500_000;
export const BULK_ITEM_COUNT = 20;
const REVIEW_BAND = { low: 0.6, high: 0.85 };

const EURO_AREA = [
  'AT',
  'BE',
  'CY',
  'DE',
  'EE',
  'ES',
  'FI',
  'FR',
  'GR',
  'HR',
  'IE',
  'IT',
  'LT',
  'LU',
  'LV',
  'MT',
  'NL',
  'PT',
  'SI',
  'SK',
];
/** Where each currency is at home; paying in a currency foreign to the shipping country is a signal. */
const CURRENCY_COUNTRIES: Record<string, readonly string[]> = {
  EUR: EURO_AREA,
  USD: ['US', 'PR', 'EC', 'SV', 'PA'],
  GBP: ['GB'],
  CHF: ['CH', 'LI'],
  JPY: ['JP'],
  CAD: ['CA'],
  AUD: ['AU'],
  SEK: ['SE'],
  DKK: ['DK'],
  NOK: ['NO'],
  PLN: ['PL'],
};

export function emailDomain(email: string): string {
  return email.slice(email.lastIndexOf('@') + 1).toLowerCase();
}

interface Signal {
  reason: string;
  applies: (req: ScoreRequest) => boolean;
}

const SIGNALS: readonly Signal[] = [
  { reason: 'high_total', applies: (req) => req.total > HIGH_TOTAL },
  {
    reason: 'currency_country_mismatch',
    applies: (req) => CURRENCY_COUNTRIES[req.currency]?.includes(req.country) === false,
  },
  { reason: 'bulk_order', applies: (req) => req.itemCount > BULK_ITEM_COUNT },
];

function round(score: number): number {
  return Math.round(Math.min(score, 0.99) * 1000) / 1000;
}

/** A stable pseudo-random baseline in [0, 0.3) per customer and email. */
function baseline(req: ScoreRequest): number {
  const digest = createHash('sha256').update(`${req.customerId}|${req.email.toLowerCase()}`).digest();
  return (digest.readUInt32BE(0) / 2 ** 32) * 0.3;
}

export function scoreWithModel(req: ScoreRequest): FraudScore {
  const domain = emailDomain(req.email);
  if (domain === FRAUD_EMAIL_DOMAIN) return { score: 0.95, reasons: ['known_fraud_domain'], scorer: 'model' };
  if (domain === REVIEW_EMAIL_DOMAIN) return { score: 0.7, reasons: ['model_uncertain'], scorer: 'model' };
  const weights: Record<string, number> = { high_total: 0.3, currency_country_mismatch: 0.2, bulk_order: 0.1 };
  const reasons = SIGNALS.filter((s) => s.applies(req)).map((s) => s.reason);
  const score = round(baseline(req) + reasons.reduce((sum, r) => sum + (weights[r] ?? 0), 0));
  if (score >= REVIEW_BAND.low && score < REVIEW_BAND.high) reasons.push('model_uncertain');
  return { score, reasons: reasons.length > 0 ? reasons : ['no_risk_signals'], scorer: 'model' };
}

export function scoreWithRules(req: ScoreRequest): FraudScore {
  const domain = emailDomain(req.email);
  if (domain === FRAUD_EMAIL_DOMAIN) return { score: 0.9, reasons: ['known_fraud_domain'], scorer: 'rules' };
  if (domain === REVIEW_EMAIL_DOMAIN) return { score: 0.7, reasons: ['review_domain'], scorer: 'rules' };
  const weights: Record<string, number> = { high_total: 0.35, currency_country_mismatch: 0.3, bulk_order: 0.15 };
  const reasons = SIGNALS.filter((s) => s.applies(req)).map((s) => s.reason);
  const score = round(0.05 + reasons.reduce((sum, r) => sum + (weights[r] ?? 0), 0));
  return { score, reasons: reasons.length > 0 ? reasons : ['no_risk_signals'], scorer: 'rules' };
}
