/**
 * Per-credential rate limits, so one sender or one token cannot flood Temporal. Each runs after
 * authentication and counts by the credential it established: intake by the signing secret that
 * verified, steering and reads by the token's identity. A request over the limit is 429
 * (`rate-limited`) with `Retry-After` and the `RateLimit`/`RateLimit-Policy` headers, before any
 * call to Temporal. Counts live in this process (express-rate-limit's memory store); behind a load
 * balancer give every replica the share it should allow, or plug in a shared store.
 */
import type { RequestHandler, Response } from 'express';
import { rateLimit } from 'express-rate-limit';
import type { ApiConfig } from './config';
import { Problem } from './problem';

/** Who the request counts against; set by the authentication step before the limiter runs. */
export function credentialOf(res: Response): string {
  const locals = res.locals as { principal?: { identity: string }; signer?: string };
  const credential = locals.principal?.identity ?? locals.signer;
  if (credential === undefined) throw new Error('rate limit applied before authentication');
  return credential;
}

const noLimit: RequestHandler = (_req, _res, next) => next();

function perMinute(name: string, limit: number): RequestHandler {
  if (limit === 0) return noLimit;
  return rateLimit({
    windowMs: 60_000,
    limit,
    identifier: name,
    standardHeaders: 'draft-8',
    legacyHeaders: false,
    keyGenerator: (_req, res) => credentialOf(res),
    handler: (_req, _res, next) =>
      next(
        new Problem(
          'rate-limited',
          `More than ${limit} ${name} requests a minute with this credential; wait for Retry-After seconds.`,
        ),
      ),
  });
}

export interface RateLimits {
  intake: RequestHandler;
  steering: RequestHandler;
  reads: RequestHandler;
}

export function createRateLimits(config: ApiConfig): RateLimits {
  return {
    intake: perMinute('intake', config.API_INTAKE_RATE_PER_MINUTE),
    steering: perMinute('steering', config.API_STEERING_RATE_PER_MINUTE),
    reads: perMinute('read', config.API_READ_RATE_PER_MINUTE),
  };
}
