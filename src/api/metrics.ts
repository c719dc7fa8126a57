/**
 * Prometheus metrics for the API. Routes are labelled by their template (`/orders/:id`),
 * never the raw path, so label cardinality stays bounded; unmatched paths share one label.
 */
import type { NextFunction, Request, Response } from 'express';
import { Counter, Histogram, type Registry } from 'prom-client';

export type OrderSubmissionOutcome = 'started' | 'replayed' | 'key_reused';

export interface ApiMetrics {
  observeRequests: (req: Request, res: Response, next: NextFunction) => void;
  orderSubmitted: (outcome: OrderSubmissionOutcome) => void;
}

function routeOf(req: Request): string {
  const route = req.route as { path?: unknown } | undefined;
  if (typeof route?.path === 'string') return `${req.baseUrl}${route.path}`;
  // Files served under a mounted router (the console): one label for all, never the file name.
  return req.baseUrl ? `${req.baseUrl}/*` : 'unmatched';
}

export function createApiMetrics(registry: Registry): ApiMetrics {
  const labelNames = ['method', 'route', 'status'] as const;
  const requests = new Counter({
    name: 'http_requests_total',
    help: 'HTTP requests answered, by route template, method and status.',
    labelNames,
    registers: [registry],
  });
  const latency = new Histogram({
    name: 'http_request_duration_seconds',
    help: 'Time to answer an HTTP request, by route template, method and status.',
    labelNames,
    buckets: [0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10],
    registers: [registry],
  });
  const submissions = new Counter({
    name: 'orders_submitted_total',
    help: 'POST /orders outcomes: a new order started, an idempotent replay, or a key reused with a different body.',
    labelNames: ['outcome'] as const,
    registers: [registry],
  });

  return {
    observeRequests(req, res, next) {
      const stopTimer = latency.startTimer();
      res.once('finish', () => {
        const labels = { method: req.method, route: routeOf(req), status: String(res.statusCode) };
        requests.inc(labels);
        stopTimer(labels);
      });
      next();
    },
    orderSubmitted(outcome) {
      submissions.inc({ outcome });
    },
  };
}
