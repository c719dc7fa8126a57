/**
 * The shape every reference service shares: JSON in and out, request logs, the Host check, /healthz
 * (down during an injected outage, like the service: 503 or a dropped connection; healthy under
 * every other fault), the fault controls and operator routes (audit listings, admin; admin token,
 * never faulted), then the faulted business routes.
 */
import express, { type ErrorRequestHandler, type Express, type Router } from 'express';
import type { Logger } from 'pino';
import { pinoHttp } from 'pino-http';
import { traceRequests } from '../../tracing';
import type { FaultController } from '../faults';
import type { OperatorRoutes } from '../service-parts';
import { LOOPBACK_HOSTS, adminGuard, hostGuard } from './guards';
import { ServiceError, rejection } from './outcome';

export interface ServiceAppOptions {
  service: string;
  log: Logger;
  faults: FaultController;
  /** `Authorization: Bearer <this>` opens the fault controls and the operator routes. */
  adminToken: string;
  /** Hostnames accepted in `Host` besides the loopback names (port ignored). */
  allowedHosts?: readonly string[];
  /** Read-only audit listings and admin endpoints: admin token, not subject to faults. */
  operator: OperatorRoutes;
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
  app.use(traceRequests()); // the handler's span joins the caller's trace (traceparent)
  app.use(
    pinoHttp({
      logger: log,
      customLogLevel: (_req, res, err) =>
        err || res.statusCode >= 500 ? 'error' : res.statusCode >= 400 ? 'warn' : 'info',
    }),
  );
  app.use(hostGuard([...LOOPBACK_HOSTS, ...(options.allowedHosts ?? [])]));
  app.use(express.json({ limit: '256kb' }));
  app.get('/healthz', options.faults.healthMiddleware(), (_req, res) => {
    res.json({ status: 'ok', service: options.service });
  });
  const admin = adminGuard(options.adminToken);
  app.use('/_faults', admin);
  app.use(options.faults.router());
  app.use(options.operator.router(admin));
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
