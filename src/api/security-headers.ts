/**
 * Response headers for a JSON API, on every answer — successes, problems, and the few answers
 * Node's HTTP server writes itself (see http-server.ts):
 *
 *   Content-Security-Policy   default-src 'none'; frame-ancestors 'none'   a response loads nothing, nothing frames it
 *   X-Frame-Options           DENY                                         the same, for browsers without CSP
 *   X-Content-Type-Options    nosniff                                      JSON is never sniffed into HTML or script
 *   Referrer-Policy           no-referrer
 *   Cross-Origin-Resource-/Opener-Policy  same-origin, and helmet's other defaults
 *   Cache-Control             no-store                                     see below
 *
 * No Strict-Transport-Security: the API serves plain HTTP, on loopback unless API_HOST says
 * otherwise, and browsers ignore HSTS received over HTTP. HTTPS — and with it HSTS — belongs to
 * the proxy or gateway that terminates TLS in front of the API; sent from here, behind such a
 * proxy, it would also pin every other service on the same host name to HTTPS as a side effect.
 *
 * `Cache-Control: no-store` on everything, not route by route: orders (`GET /orders/:id`,
 * `GET /orders`, `POST /orders`, the steering answers, the dead-letter report) are personal data
 * — names, addresses, e-mail — and nothing else this API answers (probes, metrics, errors that
 * echo an order id in `instance`) gains from a cache. A route added later is covered without
 * anyone remembering to.
 */
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { NextFunction, Request, RequestHandler, Response } from 'express';
import helmet from 'helmet';

const apiHelmet = helmet({
  contentSecurityPolicy: {
    useDefaults: false,
    directives: { defaultSrc: ["'none'"], frameAncestors: ["'none'"] },
  },
  xFrameOptions: { action: 'deny' },
  referrerPolicy: { policy: 'no-referrer' },
  strictTransportSecurity: false,
});

function noStore(_req: Request, res: Response, next: NextFunction): void {
  res.setHeader('Cache-Control', 'no-store');
  next();
}

/** The middleware that sets them; mount it before every route. */
export function securityHeaders(): RequestHandler[] {
  return [apiHelmet, noStore];
}

/**
 * The same headers as name/value pairs, for answers written straight to a socket, where no
 * middleware runs: helmet is asked once, against a response that only records what it sets.
 */
function recordedHeaders(): readonly (readonly [string, string])[] {
  const headers = new Map<string, string>();
  const recorder = {
    setHeader: (name: string, value: string) => headers.set(name, value),
    removeHeader: (name: string) => headers.delete(name),
  };
  let done = false;
  apiHelmet({} as IncomingMessage, recorder as unknown as ServerResponse, (err) => {
    if (err) throw err instanceof Error ? err : new Error('helmet refused to set its headers');
    done = true;
  });
  if (!done) throw new Error('helmet did not set its headers synchronously');
  headers.set('Cache-Control', 'no-store');
  return [...headers];
}

export const RAW_SECURITY_HEADERS = recordedHeaders();
