/**
 * What stands in front of every reference service's routes: the Host check (against DNS
 * rebinding: a page whose name re-resolves to 127.0.0.1 reaches the services with its own name
 * in `Host`) and the admin token of the operator routes (fault controls, stock, audit listings).
 */
import { createHash, timingSafeEqual } from 'node:crypto';
import type { RequestHandler } from 'express';
import { rejection } from './outcome';

/** Always allowed: the loopback names (IPv6 without its brackets, as `hostnameOf` returns it). */
export const LOOPBACK_HOSTS: readonly string[] = ['localhost', '127.0.0.1', '::1'];

/**
 * The hostname of a `Host` header value or a configured entry, lower case, port dropped,
 * IPv6 without brackets (`[::1]:4001` → `::1`); null when it is not a hostname at all.
 */
export function hostnameOf(value: string): string | null {
  const v = value.trim().toLowerCase();
  const bracketed = /^\[([0-9a-f:.]+)\](?::\d{1,5})?$/.exec(v);
  if (bracketed) return bracketed[1] ?? null;
  // A bare IPv6 address (a configured `::1`): two colons or more, so no port to drop.
  if (/^[0-9a-f]*:[0-9a-f]*:[0-9a-f:.]*$/.test(v)) return v;
  return /^([a-z0-9_](?:[a-z0-9_.-]*[a-z0-9_])?)(?::\d{1,5})?$/.exec(v)?.[1] ?? null;
}

/** Refuses requests whose `Host` names none of `allowed` (hostnames as `hostnameOf` returns them). */
export function hostGuard(allowed: Iterable<string>): RequestHandler {
  const names = new Set(allowed);
  return (req, res, next) => {
    const hostname = hostnameOf(req.headers.host ?? '');
    if (hostname !== null && names.has(hostname)) {
      next();
      return;
    }
    // 421 Misdirected Request, not 403: the name is wrong, not the caller's rights (RFC 9110 §15.5.20).
    const host = JSON.stringify(req.headers.host ?? '');
    const message = `this service does not answer for Host ${host}; add the name to SERVICES_ALLOWED_HOSTS`;
    const { status, body } = rejection(421, 'host_not_allowed', message);
    res.status(status).json(body);
  };
}

// Hash both sides so the comparison is constant-time whatever the presented token's length.
const fingerprint = (token: string) => createHash('sha256').update(token).digest();

/** Lets a request through only with `Authorization: Bearer <token>`; 401 otherwise. */
export function adminGuard(token: string): RequestHandler {
  const expected = fingerprint(token);
  return (req, res, next) => {
    const presented = /^Bearer ([^\s]+)$/i.exec(req.get('authorization') ?? '')?.[1];
    if (presented !== undefined && timingSafeEqual(fingerprint(presented), expected)) {
      next();
      return;
    }
    const { status, body } = rejection(
      401,
      'unauthorized',
      'operator endpoints need the admin token: Authorization: Bearer <SERVICES_ADMIN_TOKEN>',
    );
    res.status(status).set('WWW-Authenticate', 'Bearer').json(body);
  };
}
