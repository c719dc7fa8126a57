/**
 * Request signing for order intake: HMAC-SHA256 over `${t}.${rawBody}`, sent as
 * `X-Signature: t=<unix seconds>,v1=<hex>`. The timestamp bounds replays to the tolerance
 * window; several secrets verify so a secret can be rotated without downtime. Used by the
 * API to verify and by scripts/order-client.ts to sign, so both always agree.
 */
import { createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Signature';
export const SIGNATURE_SCHEME = 'v1';

export type SignatureFailure = 'missing' | 'malformed' | 'expired' | 'mismatch';
export type SignatureCheck = { valid: true } | { valid: false; failure: SignatureFailure };

function digest(secret: string, timestamp: number, rawBody: Buffer | string): Buffer {
  return createHmac('sha256', secret).update(`${timestamp}.`).update(rawBody).digest();
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The `X-Signature` header value for `rawBody`, signed with `secret` at `timestamp`. */
export function signBody(rawBody: Buffer | string, secret: string, timestamp = nowSeconds()): string {
  return `t=${timestamp},${SIGNATURE_SCHEME}=${digest(secret, timestamp, rawBody).toString('hex')}`;
}

interface ParsedHeader {
  timestamp: number;
  signatures: Buffer[];
}

function parseHeader(header: string): ParsedHeader | null {
  let timestamp: number | null = null;
  const signatures: Buffer[] = [];
  for (const part of header.split(',')) {
    const [key, value, ...rest] = part.trim().split('=');
    if (key === undefined || value === undefined || rest.length > 0) return null;
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value)) return null;
      timestamp = Number(value);
    } else if (key === SIGNATURE_SCHEME) {
      if (!/^[0-9a-f]{64}$/i.test(value)) return null;
      signatures.push(Buffer.from(value, 'hex'));
    }
    // Unknown schemes are ignored so a future scheme can be sent alongside v1.
  }
  if (timestamp === null || signatures.length === 0) return null;
  return { timestamp, signatures };
}

export interface VerifyOptions {
  secrets: readonly string[];
  toleranceSeconds: number;
  now?: number;
}

/** Checks `header` against `rawBody` with every configured secret, in constant time per comparison. */
export function verifySignature(header: string | undefined, rawBody: Buffer, options: VerifyOptions): SignatureCheck {
  if (header === undefined || header.trim() === '') return { valid: false, failure: 'missing' };
  const parsed = parseHeader(header);
  if (!parsed) return { valid: false, failure: 'malformed' };
  const now = options.now ?? nowSeconds();
  if (Math.abs(now - parsed.timestamp) > options.toleranceSeconds) return { valid: false, failure: 'expired' };
  let matched = false;
  // Compare against every secret and signature without returning early, so timing does not
  // reveal which secret (if any) matched.
  for (const secret of options.secrets) {
    const expected = digest(secret, parsed.timestamp, rawBody);
    for (const candidate of parsed.signatures) {
      if (timingSafeEqual(expected, candidate)) matched = true;
    }
  }
  return matched ? { valid: true } : { valid: false, failure: 'mismatch' };
}
