/**
 * One JSON log line per request (pino-http), carrying a request id that is echoed in
 * `X-Request-Id`, written into new orders (input and memo) and, once known, the order id: a
 * log line leads to its workflow and a workflow back to its log lines. Headers are not
 * logged (they hold bearer tokens and signatures).
 */
import { randomUUID } from 'node:crypto';
import type { IncomingMessage, ServerResponse } from 'node:http';
import type { Request, Response } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';

export const REQUEST_ID_HEADER = 'X-Request-Id';
const VALID_REQUEST_ID = /^[A-Za-z0-9._:-]{8,128}$/;

function requestIdFor(req: IncomingMessage, res: ServerResponse): string {
  const incoming = req.headers['x-request-id'];
  // Accept the caller's id (e.g. from a gateway) only when it is safe to log and to store.
  const id = typeof incoming === 'string' && VALID_REQUEST_ID.test(incoming) ? incoming : randomUUID();
  res.setHeader(REQUEST_ID_HEADER, id);
  return id;
}

export function requestLogger(logger: Logger) {
  return pinoHttp({
    logger,
    genReqId: requestIdFor,
    quietReqLogger: true,
    customLogLevel: (_req, res, err) =>
      err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    customProps: (req, res) => {
      const route = (req as Request).route as { path?: unknown } | undefined;
      const orderId = (res as Response).locals?.orderId as unknown;
      return {
        ...(typeof route?.path === 'string' ? { route: route.path } : {}),
        ...(typeof orderId === 'string' ? { orderId } : {}),
      };
    },
    serializers: {
      req: (req: { id: unknown; method: string; url: string; remoteAddress?: string }) => ({
        id: req.id,
        method: req.method,
        url: req.url,
        remoteAddress: req.remoteAddress,
      }),
      res: (res: { statusCode: number }) => ({ statusCode: res.statusCode }),
    },
  });
}

/** The request id pino-http assigned (always a string: see requestIdFor). */
export function requestIdOf(req: Request): string {
  return typeof req.id === 'string' ? req.id : JSON.stringify(req.id);
}
