/**
 * Request signing for order intake, scheme v2: HMAC-SHA256 over everything the server acts on,
 *
 *   "v2\n" + t + "\n" + METHOD + "\n" + path + "\n" + Idempotency-Key + "\n" + raw body
 *
 * sent as `X-Signature: t=<unix seconds>,v2=<hex>`. Covering the key matters: the key names the
 * order, so a captured request resent under another key must not verify (it would start a second
 * order). The timestamp bounds replays to the tolerance window; several secrets verify so a secret
 * can be rotated without downtime. v1 (body only) is refused with its own failure so an old sender
 * learns why. Used by the API to verify and by the order client and chaos run to sign.
 */
import { createHash, createHmac, timingSafeEqual } from 'node:crypto';

export const SIGNATURE_HEADER = 'X-Signature';
export const SIGNATURE_SCHEME = 'v2';
const RETIRED_SCHEMES = ['v1'];

export type SignatureFailure = 'missing' | 'malformed' | 'retired-scheme' | 'expired' | 'mismatch';
/** `signer` names the secret that verified (a hash prefix, never the secret): the credential rate limits count by. */
export type SignatureCheck = { valid: true; signer: string } | { valid: false; failure: SignatureFailure };

export const signerOf = (secret: string) => `signer-${createHash('sha256').update(secret).digest('hex').slice(0, 12)}`;

/** What a signature covers besides the body. */
export interface SignedRequest {
  method: string;
  /** The request target as sent, e.g. `/orders`. */
  path: string;
  /** The `Idempotency-Key` header value; empty when absent. */
  idempotencyKey: string;
  body: Buffer | string;
}

function digest(secret: string, timestamp: number, request: SignedRequest): Buffer {
  const head = [SIGNATURE_SCHEME, timestamp, request.method.toUpperCase(), request.path, request.idempotencyKey];
  return createHmac('sha256', secret)
    .update(`${head.join('\n')}\n`)
    .update(request.body)
    .digest();
}

export function nowSeconds(): number {
  return Math.floor(Date.now() / 1000);
}

/** The `X-Signature` header value for `request`, signed with `secret` at `timestamp`. */
export function signRequest(request: SignedRequest, secret: string, timestamp = nowSeconds()): string {
  return `t=${timestamp},${SIGNATURE_SCHEME}=${digest(secret, timestamp, request).toString('hex')}`;
}

interface ParsedHeader {
  timestamp: number;
  signatures: Buffer[];
  retired: boolean;
}

function parseHeader(header: string): ParsedHeader | null {
  let timestamp: number | null = null;
  const signatures: Buffer[] = [];
  let retired = false;
  for (const part of header.split(',')) {
    const [key, value, ...rest] = part.trim().split('=');
    if (key === undefined || value === undefined || rest.length > 0) return null;
    if (key === 't') {
      if (!/^\d{1,12}$/.test(value)) return null;
      timestamp = Number(value);
    } else if (key === SIGNATURE_SCHEME) {
      if (!/^[0-9a-f]{64}$/i.test(value)) return null;
      signatures.push(Buffer.from(value, 'hex'));
    } else if (RETIRED_SCHEMES.includes(key)) {
      retired = true;
    }
    // Unknown schemes are ignored so a future scheme can be sent alongside v2.
  }
  if (timestamp === null) return null;
  if (signatures.length === 0) return retired ? { timestamp, signatures, retired } : null;
  return { timestamp, signatures, retired };
}

export interface VerifyOptions {
  secrets: readonly string[];
  toleranceSeconds: number;
  now?: number;
}

/** Checks `header` against `request` with every configured secret, in constant time per comparison. */
export function verifySignature(
  header: string | undefined,
  request: SignedRequest,
  options: VerifyOptions,
): SignatureCheck {
  if (header === undefined || header.trim() === '') return { valid: false, failure: 'missing' };
  const parsed = parseHeader(header);
  if (!parsed) return { valid: false, failure: 'malformed' };
  if (parsed.signatures.length === 0) return { valid: false, failure: 'retired-scheme' };
  const now = options.now ?? nowSeconds();
  if (Math.abs(now - parsed.timestamp) > options.toleranceSeconds) return { valid: false, failure: 'expired' };
  let matched: string | null = null;
  // Compare against every secret and signature without returning early, so timing does not
  // reveal which secret (if any) matched.
  for (const secret of options.secrets) {
    const expected = digest(secret, parsed.timestamp, request);
    for (const candidate of parsed.signatures) {
      if (timingSafeEqual(expected, candidate)) matched ??= secret;
    }
  }
  return matched !== null ? { valid: true, signer: signerOf(matched) } : { valid: false, failure: 'mismatch' };
}
