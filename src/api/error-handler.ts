/**
 * The last stops of the middleware chain: a known path asked with a method it does not serve,
 * unknown routes, and every thrown error rendered as a problem. Errors a client caused are
 * 4xx problems wherever they were raised (body reading translates its own, see
 * request-body.ts; the router's and any other framework error with a 4xx status are mapped
 * here). Unexpected errors are logged with their stack and answered with a bare 500.
 */
import type { Express, NextFunction, Request, RequestHandler, Response } from 'express';
import { Problem, sendProblem } from './problem';
import { temporalProblem } from './temporal-errors';

export function unknownRoute(_req: Request, _res: Response, next: NextFunction): void {
  next(new Problem('not-found', 'There is no such route. See /openapi.json for the routes this API serves.'));
}

/** What Express's router keeps of each route (not in its types; the same shape the OpenAPI test reads). */
interface RouterLayer {
  route?: { methods: Record<string, boolean | undefined> };
  match(path: string): unknown;
}

/** The methods the app's routes serve at `path` (HEAD wherever GET), sorted; none for an unknown path. */
function allowedMethods(app: Express, path: string): string[] {
  const { stack } = app.router as unknown as { stack: RouterLayer[] };
  const methods = new Set<string>();
  for (const layer of stack) {
    if (!layer.route) continue;
    let matches: unknown;
    try {
      matches = layer.match(path);
    } catch {
      continue; // a segment that does not decode: the router has already answered 400 for it
    }
    if (!matches) continue;
    for (const [method, served] of Object.entries(layer.route.methods))
      if (served && method !== '_all') methods.add(method.toUpperCase());
  }
  if (methods.has('GET')) methods.add('HEAD');
  return [...methods].sort();
}

/**
 * Mounted after every route: a request that reaches it matched no route for its method. If its
 * path is served with other methods, the answer is 405 with `Allow` (RFC 9110 §15.5.6); if not,
 * it goes on to the 404.
 */
export function methodNotAllowed(app: Express): RequestHandler {
  return (req, _res, next) => {
    const allowed = allowedMethods(app, req.path);
    if (allowed.length === 0) {
      next();
      return;
    }
    const allow = allowed.join(', ');
    next(
      new Problem('method-not-allowed', `${req.method} is not served at this path, which serves ${allow}.`, {
        headers: { Allow: allow },
      }),
    );
  };
}

/**
 * Errors raised by Express itself or its parts (router, body-parser) that a client caused. The
 * router decodes each path parameter with decodeURIComponent before any handler (or auth) runs;
 * a segment that is not valid percent-encoding fails there with a URIError of status 400. Any
 * other http-errors error flagged `expose` with a 4xx status is a client error too.
 */
function frameworkProblem(err: unknown): Problem | null {
  if (typeof err !== 'object' || err === null) return null;
  const { status, expose } = err as { status?: unknown; expose?: unknown };
  if (err instanceof URIError && status === 400)
    return new Problem(
      'invalid-request',
      'The request path is not valid percent-encoding: escape "%" as %25 and percent-encode UTF-8 bytes only.',
    );
  // Body-reading errors (413, 415, a corrupt encoding) are already problems: see request-body.ts.
  if (expose !== true || typeof status !== 'number' || status < 400 || status > 499) return null;
  return new Problem('invalid-request', 'The request could not be processed as sent.');
}

export function errorHandler(err: unknown, req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) {
    next(err);
    return;
  }
  const problem = err instanceof Problem ? err : (frameworkProblem(err) ?? temporalProblem(err));
  if (problem) {
    // 503s are operational signals: keep the cause in the log line, not in the response.
    if (problem.status >= 500 && err !== problem && err instanceof Error) res.err = err;
    sendProblem(req, res, problem);
    return;
  }
  res.err = err instanceof Error ? err : new Error(String(err));
  sendProblem(
    req,
    res,
    new Problem('internal-error', 'Something went wrong on our side. Quote the requestId when reporting it.'),
  );
}
