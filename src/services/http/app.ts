/**
 * The shape every reference service shares: JSON in and out, request logs, /healthz, the
 * fault controls, operator routes (audit listings, admin; never faulted), then the faulted business routes.
 */
import express, { type ErrorRequestHandler, type Express, type Router } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import type { FaultController } from '../faults';
import { ServiceError, rejection } from './outcome';

export interface ServiceAppOptions {
  service: string;
  log: Logger;
  faults: FaultController;
  /** Read-only audit listings and admin endpoints: not subject to faults. */
  operator: Router;
  /** The endpoints the clients call: subject to faults. */
  business: Router;
}

function isBodyParserError(err: unknown): err is { type: string; status: number; message: string } {
  return (
    typeof err === 'object' &&
    err !== null &&
    'type' in err &&
    typeof err.type === 'string' &&
    err.type.startsWith('entity.')
  );
}

export function createServiceApp(options: ServiceAppOptions): Express {
  const log = options.log.child({ service: options.service });
  const app = express();
  app.disable('x-powered-by');
  app.use(
    pinoHttp({
      logger: log,
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    }),
  );
  app.use(express.json({ limit: '256kb' }));
  app.get('/healthz', (_req, res) => void res.json({ status: 'ok', service: options.service }));
  app.use(options.faults.router());
  app.use(options.operator);
  app.use(options.faults.middleware());
  app.use(options.business);
  app.use((req, res) => {
    const { status, body } = rejection(404, 'route_not_found', `no route ${req.method} ${req.path}`);
    res.status(status).json(body);
  });
  const onError: ErrorRequestHandler = (err: unknown, _req, res, _next) => {
    if (err instanceof ServiceError) {
      res.status(err.status).json(rejection(err.status, err.code, err.message, err.details).body);
    } else if (isBodyParserError(err)) {
      res.status(err.status).json(rejection(err.status, 'invalid_request', err.message).body);
    } else {
      log.error({ err }, 'request failed');
      res.status(500).json(rejection(500, 'internal_error', 'internal error').body);
    }
  };
  app.use(onError);
  return app;
}
