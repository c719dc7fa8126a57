/**
 * Errors as RFC 9457 problem details. Every failure the API reports is one of the problem
 * types below: a stable `type` URI clients can switch on, the HTTP status and a title that
 * never changes; `detail` explains this occurrence in words fit for the caller (never an
 * internal message or a stack trace).
 */
import type { Request, Response } from 'express';

/** Change this base when you adopt the template; the slugs are the stable part. */
export const PROBLEM_TYPE_BASE = 'https://order-saga.example/problems/';
export const PROBLEM_CONTENT_TYPE = 'application/problem+json';

export const PROBLEM_TYPES = {
  'malformed-json': { status: 400, title: 'Malformed JSON body' },
  'malformed-body': { status: 400, title: 'Undecodable request body' },
  'invalid-request': { status: 400, title: 'Invalid request' },
  unauthenticated: { status: 401, title: 'Authentication required' },
  'invalid-signature': { status: 401, title: 'Invalid request signature' },
  forbidden: { status: 403, title: 'Not allowed for this role' },
  'not-found': { status: 404, title: 'Resource not found' },
  'order-not-found': { status: 404, title: 'Order not found' },
  'method-not-allowed': { status: 405, title: 'Method not allowed' },
  'request-timeout': { status: 408, title: 'Request timeout' },
  'order-conflict': { status: 409, title: 'The order is not in a state that allows this' },
  'payload-too-large': { status: 413, title: 'Request body too large' },
  'unsupported-media-type': { status: 415, title: 'Unsupported media type' },
  'validation-failed': { status: 422, title: 'The request body is not a valid order request' },
  'idempotency-key-reused': { status: 422, title: 'Idempotency key already used for a different request' },
  'rate-limited': { status: 429, title: 'Too many requests' },
  'request-header-fields-too-large': { status: 431, title: 'Request header fields too large' },
  'internal-error': { status: 500, title: 'Internal error' },
  'temporal-unavailable': { status: 503, title: 'Order service temporarily unavailable' },
  'not-ready': { status: 503, title: 'Not ready' },
} as const satisfies Record<string, { status: number; title: string }>;
export type ProblemSlug = keyof typeof PROBLEM_TYPES;

export interface FieldError {
  /** Location of the offending value, e.g. `items.0.quantity`. */
  field: string;
  message: string;
}

export interface ProblemDetails {
  type: string;
  title: string;
  status: number;
  detail: string;
  instance: string;
  requestId?: string;
  errors?: FieldError[];
}

/** Thrown anywhere in a handler; the error middleware renders it. */
export class Problem extends Error {
  override name = 'Problem';
  constructor(
    readonly slug: ProblemSlug,
    readonly detail: string,
    readonly extras: { errors?: FieldError[]; headers?: Record<string, string> } = {},
  ) {
    super(`${slug}: ${detail}`);
  }

  get status(): number {
    return PROBLEM_TYPES[this.slug].status;
  }
}

export function problemType(slug: ProblemSlug): string {
  return `${PROBLEM_TYPE_BASE}${slug}`;
}

/** The problem document for `problem` at `instance`. */
export function problemDetails(problem: Problem, instance: string, requestId?: string): ProblemDetails {
  const { status, title } = PROBLEM_TYPES[problem.slug];
  return {
    type: problemType(problem.slug),
    title,
    status,
    detail: problem.detail,
    instance,
    ...(requestId !== undefined ? { requestId } : {}),
    ...(problem.extras.errors ? { errors: problem.extras.errors } : {}),
  };
}

export function sendProblem(req: Request, res: Response, problem: Problem): void {
  // The path of the request that failed identifies this occurrence; the request id ties it to the logs.
  const instance = req.originalUrl.split('?')[0] ?? req.path;
  const body = problemDetails(problem, instance, typeof req.id === 'string' ? req.id : undefined);
  for (const [name, value] of Object.entries(problem.extras.headers ?? {})) res.setHeader(name, value);
  res.status(body.status).type(PROBLEM_CONTENT_TYPE).send(JSON.stringify(body));
}
