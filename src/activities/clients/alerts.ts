/**
 * The alerts port over HTTP: high-priority alerts about one order (the SLA watchdog's), posted
 * as JSON to a webhook with the step's idempotency key, so a retried post raises one alert. The
 * body is generic enough for an incident tool's webhook; the reference notifications service
 * records it as a page to the on-call (`POST /alerts`, docs/reference-services.md).
 */
import { z } from 'zod';
import type { AlertsPort } from '../ports';
import { callDownstream } from './http';

/** Any 2xx is a delivered alert; an id is kept when the receiver returns one. */
const anyAnswer = z.unknown();

export function createWebhookAlerts(config: { url: string; timeoutMs: number }): AlertsPort {
  const target = new URL(config.url);
  const endpoint = { downstream: 'alerts', baseUrl: target.origin, timeoutMs: config.timeoutMs };
  return {
    async raise(alert, opts) {
      const body = await callDownstream(endpoint, {
        method: 'POST',
        path: `${target.pathname}${target.search}`,
        body: alert,
        idempotencyKey: opts.idempotencyKey,
        signal: opts.signal,
        response: anyAnswer,
      });
      const id = (body as { alertId?: unknown } | null)?.alertId;
      return { alertId: typeof id === 'string' ? id : null };
    },
  };
}
