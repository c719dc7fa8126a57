/**
 * The orders API: a thin, stateless front over Temporal. Each route parses, authorizes, calls
 * Temporal and maps the result; Temporal holds every order. Built by a factory so tests run
 * it in process against a test server and the server entry point wires the real client.
 */
import express, { type Express } from 'express';
import type { Client } from '@temporalio/client';
import pino, { type Logger } from 'pino';
import { Registry } from 'prom-client';
import { createAuthenticator } from './auth';
import { registerConsole } from './console';
import { registerDeadLetters } from './dead-letters';
import { type ApiConfig, orderPolicy } from './config';
import type { RouteContext } from './context';
import { errorHandler, methodNotAllowed, unknownRoute } from './error-handler';
import { createApiMetrics } from './metrics';
import { buildOpenApiDocument } from './openapi';
import { registerOperations } from './operations';
import { registerOrderIntake } from './orders-intake';
import { registerOrderReading } from './orders-read';
import { registerOrderSteering } from './orders-steering';
import { createRateLimits } from './rate-limits';
import { OrdersGateway } from './orders-gateway';
import { requestLogger } from './request-log';
import { securityHeaders } from './security-headers';
import { traceRequests } from '../tracing';

export interface ApiDeps {
  /** Temporal client bound to the orders namespace. */
  client: Client;
  config: ApiConfig;
  /** Request logs go here; silent when omitted. */
  logger?: Logger;
  /** Where metrics are registered; a fresh registry when omitted. */
  metricsRegistry?: Registry;
}

export function createApp(deps: ApiDeps): Express {
  const { client, config } = deps;
  const registry = deps.metricsRegistry ?? new Registry();
  const metrics = createApiMetrics(registry);
  const ctx: RouteContext = {
    config,
    gateway: new OrdersGateway(client, {
      taskQueue: config.TEMPORAL_TASK_QUEUE,
      timeoutMs: config.API_TEMPORAL_TIMEOUT_MS,
    }),
    metrics,
    requireRole: createAuthenticator(config.API_TOKENS),
    rateLimits: createRateLimits(config),
    policy: orderPolicy(config),
  };

  const app = express();
  app.disable('x-powered-by');
  // Flat string query values only: no nested objects smuggled into filters.
  app.set('query parser', 'simple');
  app.use(traceRequests()); // first: every answer carries its traceparent (when tracing is on)
  app.use(securityHeaders());
  app.use(requestLogger(deps.logger ?? pino({ level: 'silent' })));
  app.use(metrics.observeRequests);

  registerOperations(app, ctx, registry, buildOpenApiDocument());
  registerOrderIntake(app, ctx);
  registerOrderReading(app, ctx);
  registerOrderSteering(app, ctx);
  registerDeadLetters(app, ctx);
  registerConsole(app, ctx); // the operator console and GET /me (docs/console.md)

  app.use(methodNotAllowed(app));
  app.use(unknownRoute);
  app.use(errorHandler);
  return app;
}
