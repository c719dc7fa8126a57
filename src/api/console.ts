/**
 * The operator console (docs/console.md): static ES modules from src/console served at
 * /console/, with Preact and htm straight from node_modules (no build step, no CDN: it works
 * offline), and `GET /me`, which tells the console — or any client — whose token it holds.
 *
 *   GET /me                      any token   { identity, role }: what the console may offer
 *   GET /console/                anyone      the page; it asks for a token and keeps it per tab
 *   GET /console/settings.json   anyone      where the Temporal Web UI is, for the order page's links
 *
 * The console's files carry their own Content-Security-Policy: scripts, styles, images and
 * fetches from this origin only — no inline script, no eval — and still never framed. Every
 * other answer, the console's 404s included, keeps the API's `default-src 'none'`. The pages are
 * not part of the OpenAPI contract (a static middleware, not routes); `GET /me` is.
 */
import fs from 'node:fs';
import path from 'node:path';
import express, { type Express, type NextFunction, type Request, type Response } from 'express';
import { z } from 'zod';
import { loadConfig, temporalSchema } from '../config';
import { PROJECT_ROOT } from '../paths';
import { principalOf, READ_ROLES } from './auth';
import { ROLES } from './config';
import type { RouteContext } from './context';
import { Problem } from './problem';

export const CONSOLE_PATH = '/console';
/** Resolved from the project root, so `tsx src/…` and `node dist/…` serve the same files. */
export const CONSOLE_DIR = path.join(PROJECT_ROOT, 'src', 'console');

export const CONSOLE_CSP = [
  "default-src 'none'",
  "script-src 'self'",
  "style-src 'self'",
  "img-src 'self'",
  "connect-src 'self'",
  "base-uri 'none'",
  // The console's forms are handled in script; nothing is ever submitted by the browser itself.
  "form-action 'none'",
  "frame-ancestors 'none'",
].join('; ');

export const sessionSchema = z
  .object({
    identity: z.string().meta({ description: "The token's identity: who approvals, cancels and retries are by." }),
    role: z.enum(ROLES),
  })
  .meta({ description: 'Who the bearer token belongs to, and its role.' });

/**
 * Preact, its hooks and htm as the browser loads them. The hooks module imports "preact" by its
 * bare name, which a browser resolves only through an import map — an inline script the CSP
 * refuses — so it is pointed at the file beside it. Source-map comments go: the maps are not served.
 */
function vendorModules(): Map<string, string> {
  const read = (file: string) => fs.readFileSync(file, 'utf8').replace(/^\/\/# sourceMappingURL=.*$/m, '');
  const hooks = read(require.resolve('preact/hooks')).replace(/from\s*(["'])preact\1/g, 'from"./preact.js"');
  if (/from\s*["']preact["']/.test(hooks) || !hooks.includes('./preact.js'))
    throw new Error('preact/hooks no longer imports "preact" as expected; update vendorModules in src/api/console.ts');
  return new Map([
    ['preact.js', read(require.resolve('preact'))],
    ['hooks.js', hooks],
    ['htm.js', read(path.join(path.dirname(require.resolve('htm')), 'htm.mjs'))],
  ]);
}

const consoleCsp = (res: Response) => res.setHeader('Content-Security-Policy', CONSOLE_CSP);

/** The console's paths serve GET and HEAD only. */
function readOnly(req: Request, _res: Response, next: NextFunction): void {
  if (req.method === 'GET' || req.method === 'HEAD') {
    next();
    return;
  }
  next(
    new Problem('method-not-allowed', `${req.method} is not served by the console.`, {
      headers: { Allow: 'GET, HEAD' },
    }),
  );
}

export function registerConsole(app: Express, ctx: RouteContext): void {
  const { requireRole, rateLimits, gateway } = ctx;

  app.get('/me', requireRole(...READ_ROLES), rateLimits.reads, (_req: Request, res: Response) => {
    const { identity, role } = principalOf(res);
    res.json({ identity, role } satisfies z.output<typeof sessionSchema>);
  });

  // Read here rather than passed in: the API itself has no other use for the Web UI's address.
  const { TEMPORAL_UI_URL } = loadConfig(z.object({ TEMPORAL_UI_URL: temporalSchema.shape.TEMPORAL_UI_URL }));
  const settings = { temporalUiUrl: TEMPORAL_UI_URL.replace(/\/+$/, ''), namespace: gateway.namespace };
  const vendor = vendorModules();

  const router = express.Router();
  router.use(readOnly);
  router.get('/settings.json', (_req: Request, res: Response) => {
    res.json(settings);
  });
  router.get('/vendor/:file', (req: Request, res: Response, next: NextFunction) => {
    const source = vendor.get(String(req.params.file));
    if (source === undefined) {
      next();
      return;
    }
    consoleCsp(res);
    res.type('text/javascript').send(source);
  });
  // `/console` redirects to `/console/`, so the page's relative URLs resolve under it. The API's
  // `Cache-Control: no-store` stays: a new release is picked up on the next load.
  router.use(
    express.static(CONSOLE_DIR, {
      cacheControl: false,
      etag: false,
      lastModified: false,
      dotfiles: 'ignore',
      setHeaders: consoleCsp,
    }),
  );
  app.use(CONSOLE_PATH, router);
}
