/**
 * Probes and introspection for operators and tooling: liveness, readiness (Temporal answers
 * and the namespace exists), Prometheus metrics and the OpenAPI document.
 */
import type { Express, Request, Response } from 'express';
import type { Registry } from 'prom-client';
import { requireMachineToken } from './auth';
import type { RouteContext } from './context';
import { Problem } from './problem';
import { GRPC_NOT_FOUND } from '../temporal/connection';
import { grpcCode, RETRY_AFTER_SECONDS } from './temporal-errors';

export function registerOperations(app: Express, ctx: RouteContext, registry: Registry, openApiDocument: object): void {
  const { config, gateway } = ctx;

  app.get('/healthz', (_req: Request, res: Response) => {
    res.json({ status: 'ok' });
  });

  app.get('/readyz', async (req: Request, res: Response) => {
    try {
      await gateway.checkNamespace(config.API_READINESS_TIMEOUT_MS);
    } catch (err) {
      req.log.warn({ err }, 'not ready');
      const detail =
        grpcCode(err) === GRPC_NOT_FOUND
          ? `The Temporal namespace "${gateway.namespace}" does not exist.`
          : 'Temporal is not reachable.';
      throw new Problem('not-ready', detail, { headers: { 'Retry-After': String(RETRY_AFTER_SECONDS) } });
    }
    res.json({ status: 'ready', namespace: gateway.namespace });
  });

  app.get(
    '/metrics',
    requireMachineToken(config.API_METRICS_TOKEN, 'metrics'),
    async (_req: Request, res: Response) => {
      res.type(registry.contentType).send(await registry.metrics());
    },
  );

  app.get('/openapi.json', (_req: Request, res: Response) => {
    res.json(openApiDocument);
  });
}
