/**
 * Bearer tokens for people and back-office tools. Each configured token carries a role and
 * an identity; handlers read the identity from `res.locals.principal`, never from the body.
 *
 *   viewer   — read orders
 *   approver — read, decide approvals
 *   operator — read, cancel (on a customer's behalf), retry parked orders
 */
import { timingSafeEqual, createHash } from 'node:crypto';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import type { ApiConfig, Principal, Role } from './config';
import { Problem } from './problem';

export const READ_ROLES: readonly Role[] = ['viewer', 'approver', 'operator'];

// Hash both sides so comparisons are constant-time regardless of the presented token's length.
const fingerprint = (token: string) => createHash('sha256').update(token).digest();
const presentedToken = (req: Request) => /^Bearer ([^\s]+)$/i.exec(req.get('authorization') ?? '')?.[1];

export function createAuthenticator(tokens: ApiConfig['API_TOKENS']) {
  const known = tokens.map((t) => ({
    hash: fingerprint(t.token),
    principal: { role: t.role, identity: t.identity } satisfies Principal,
  }));

  const identify = (req: Request): Principal | null => {
    const token = presentedToken(req);
    if (!token) return null;
    const presented = fingerprint(token);
    let found: Principal | null = null;
    for (const entry of known) if (timingSafeEqual(entry.hash, presented)) found = entry.principal;
    return found;
  };

  /** Lets the request through only with a valid token whose role is one of `roles`. */
  return function requireRole(...roles: Role[]): RequestHandler {
    return (req: Request, res: Response, next: NextFunction) => {
      const principal = identify(req);
      if (!principal) {
        throw new Problem('unauthenticated', 'Send a valid bearer token in the Authorization header.', {
          headers: { 'WWW-Authenticate': 'Bearer realm="orders"' },
        });
      }
      if (!roles.includes(principal.role)) {
        throw new Problem('forbidden', `This action needs one of the roles: ${roles.join(', ')}.`);
      }
      res.locals.principal = principal;
      next();
    };
  };
}
export type RequireRole = ReturnType<typeof createAuthenticator>;

/** A single machine credential (e.g. a metrics scraper's); no token configured lets every request through. */
export function requireMachineToken(token: string | undefined, realm: string): RequestHandler {
  const expected = token === undefined ? null : fingerprint(token);
  return (req: Request, _res: Response, next: NextFunction) => {
    const presented = presentedToken(req);
    if (expected && !(presented && timingSafeEqual(expected, fingerprint(presented)))) {
      throw new Problem('unauthenticated', `Send the ${realm} token in the Authorization header.`, {
        headers: { 'WWW-Authenticate': `Bearer realm="${realm}"` },
      });
    }
    next();
  };
}

export function principalOf(res: Response): Principal {
  const principal = res.locals.principal as Principal | undefined;
  if (!principal) throw new Error('principalOf called on a route without requireRole');
  return principal;
}
