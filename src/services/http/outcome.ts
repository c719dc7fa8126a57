/**
 * What a service answers: a status and a JSON body. Business rejections are outcomes too
 * (not exceptions) so they can be stored under an idempotency key and replayed unchanged.
 */
export interface Outcome {
  status: number;
  body: unknown;
}

/** The error body every reference service uses; clients map `code` to a typed error. */
export interface ErrorBody {
  error: { code: string; message: string; details?: Record<string, unknown> };
}

export function rejection(status: number, code: string, message: string, details?: Record<string, unknown>): Outcome {
  const body: ErrorBody = { error: { code, message, ...(details ? { details } : {}) } };
  return { status, body };
}

/** Thrown before any effect (bad input, missing header): never stored under a key. */
export class ServiceError extends Error {
  constructor(
    readonly status: number,
    readonly code: string,
    message: string,
    readonly details?: Record<string, unknown>,
  ) {
    super(message);
    this.name = 'ServiceError';
  }
}
