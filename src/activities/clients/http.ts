/**
 * One outbound HTTP call to a downstream, shared by every client module. It never retries
 * (Temporal owns retries); it turns every way a call can end into a typed error:
 *   2xx with the expected body   → the parsed body
 *   2xx with an unexpected body  → DownstreamContractError (retryable; a deploy or a bug, say so loudly)
 *   4xx with a known error code  → the matching BusinessRejectionError (non-retryable)
 *   other 4xx                    → InvalidRequestError
 *   429                          → RateLimitedError, retryAfterMs from Retry-After
 *   5xx, 408, refused or reset   → DownstreamUnavailableError
 *   our timeout                  → DownstreamTimeoutError
 *   caller's signal aborted      → the abort reason, rethrown as is (cancellation is not a failure)
 */
import { request } from 'undici';
import { z } from 'zod';
import {
  DownstreamTimeoutError,
  DownstreamUnavailableError,
  InvalidRequestError,
  RateLimitedError,
  type BusinessRejectionError,
} from '../errors';
import { startClientSpan } from '../../tracing';

export type RejectionConstructor = new (
  downstream: string,
  message: string,
  details?: Record<string, unknown>,
) => BusinessRejectionError;

export interface DownstreamEndpoint {
  /** Names the downstream in errors and logs, e.g. "inventory". */
  downstream: string;
  baseUrl: string;
  timeoutMs: number;
}

export interface DownstreamCall<S extends z.ZodType> {
  method: 'GET' | 'POST';
  path: string;
  body?: unknown;
  idempotencyKey: string;
  signal?: AbortSignal | undefined;
  response: S;
  /** Error codes of the downstream's 4xx answers that are business rejections. */
  rejections?: Record<string, RejectionConstructor>;
}

/** A 2xx answer whose body does not match the contract. Retryable (type DownstreamUnavailable). */
export class DownstreamContractError extends DownstreamUnavailableError {}

/** Used when a 429 carries no usable Retry-After. */
export const DEFAULT_RETRY_AFTER_MS = 1000;

/** `Retry-After` is either delay-seconds or an HTTP date (RFC 9110 §10.2.3). */
export function parseRetryAfter(header: string | null, now: number = Date.now()): number {
  if (header === null || header.trim() === '') return DEFAULT_RETRY_AFTER_MS;
  const value = header.trim();
  if (/^\d+$/.test(value)) return Number(value) * 1000;
  const date = Date.parse(value);
  if (Number.isNaN(date)) return DEFAULT_RETRY_AFTER_MS;
  return Math.max(0, date - now);
}

const errorBody = z.object({
  error: z.object({ code: z.string(), message: z.string(), details: z.record(z.string(), z.unknown()).optional() }),
});

function parseJson(text: string): unknown {
  try {
    return JSON.parse(text) as unknown;
  } catch {
    return undefined;
  }
}

function describeCause(err: unknown): string {
  if (!(err instanceof Error)) return String(err);
  const { code } = err as NodeJS.ErrnoException;
  const cause = err.cause instanceof Error ? `: ${(err.cause as NodeJS.ErrnoException).code ?? err.cause.message}` : '';
  return `${err.message}${code && !err.message.includes(code) ? ` (${code})` : ''}${cause}`;
}

export async function callDownstream<S extends z.ZodType>(
  endpoint: DownstreamEndpoint,
  call: DownstreamCall<S>,
): Promise<z.output<S>> {
  const { downstream } = endpoint;
  const where = `${call.method} ${call.path}`;
  const timeout = AbortSignal.timeout(endpoint.timeoutMs);
  const signal = call.signal ? AbortSignal.any([call.signal, timeout]) : timeout;

  // The active trace travels in `traceparent`: the downstream's handler joins the order's trace.
  const span = startClientSpan(downstream, call.method, endpoint.baseUrl);
  let status: number;
  let retryAfter: string | null;
  let text: string;
  try {
    // undici's request rather than fetch: the same client without web streams, about a third of fetch's CPU per call.
    const res = await request(`${endpoint.baseUrl.replace(/\/+$/, '')}${call.path}`, {
      method: call.method,
      headers: {
        ...span?.headers,
        accept: 'application/json',
        'content-type': 'application/json',
        'idempotency-key': call.idempotencyKey,
      },
      ...(call.body === undefined ? {} : { body: JSON.stringify(call.body) }),
      signal,
    });
    status = res.statusCode;
    const retryAfterHeader = res.headers['retry-after'];
    retryAfter = (Array.isArray(retryAfterHeader) ? retryAfterHeader[0] : retryAfterHeader) ?? null;
    text = await res.body.text(); // inside the try: the body can time out or be cut off too
    span?.end({ status });
  } catch (err) {
    span?.end({ error: call.signal?.aborted ? call.signal.reason : err });
    // Caller first: a cancelled activity must see its own cancellation, even if the timeout also fired.
    if (call.signal?.aborted) throw call.signal.reason;
    if (timeout.aborted) {
      throw new DownstreamTimeoutError(
        downstream,
        `${downstream} did not answer ${where} within ${endpoint.timeoutMs} ms`,
        { timeoutMs: endpoint.timeoutMs },
      );
    }
    throw new DownstreamUnavailableError(downstream, `${downstream} unreachable on ${where}: ${describeCause(err)}`);
  }

  const json = parseJson(text);
  if (status >= 200 && status < 300) {
    const parsed = call.response.safeParse(json);
    if (parsed.success) return parsed.data;
    throw new DownstreamContractError(
      downstream,
      `${downstream} answered ${where} with an unexpected body: ${z.prettifyError(parsed.error)}`,
      { status, body: text.slice(0, 500) },
    );
  }
  if (status === 429) {
    throw new RateLimitedError(downstream, `${downstream} rate limited ${where}`, parseRetryAfter(retryAfter));
  }
  if (status >= 500 || status === 408) {
    throw new DownstreamUnavailableError(downstream, `${downstream} answered ${where} with HTTP ${status}`, { status });
  }
  const error = errorBody.safeParse(json);
  const code = error.success ? error.data.error.code : undefined;
  const message = error.success ? error.data.error.message : `HTTP ${status}`;
  const details = { status, ...(code ? { code } : {}), ...(error.success ? error.data.error.details : {}) };
  const Rejection = (code && call.rejections?.[code]) || InvalidRequestError;
  throw new Rejection(downstream, `${downstream} refused ${where}: ${message}`, details);
}
