/**
 * Runtime fault injection, so demos and tests can make a downstream slow, flaky, rate
 * limited, hung, down, or lose its answers without restarting it. Off by default; set over HTTP:
 *   GET /_faults · PUT /_faults {…} (replaces the settings; omitted fields = off) · DELETE /_faults
 * with the admin token (`createServiceApp` guards everything under /_faults).
 * Applies to business endpoints, and an `outage` to /healthz too: a service that is down is down
 * for its health check (503, or the connection dropped), which is what the worker's breaker probes
 * see. Latency, error, rate-limit, hang and lost-answer faults leave /healthz healthy (a sick
 * service still answers its health check). /_faults and the audit listings are never faulted.
 * Rates are probabilities per request (Math.random); 0 and 1 are deterministic.
 */
import { Router, type Request, type RequestHandler, type Response } from 'express';
import { setTimeout as sleep } from 'node:timers/promises';
import { z } from 'zod';
import { rejection } from './http/outcome';
import { parseInput } from './http/validation';

const rate = z
  .number()
  .min(0, 'expected a probability between 0 and 1')
  .max(1, 'expected a probability between 0 and 1');

export const faultSettingsSchema = z.strictObject({
  /** Added before every business response. */
  latencyMs: z.int().min(0).max(120_000).default(0),
  /** Share of requests answered with `errorStatus` (and no effect). */
  errorRate: rate.default(0),
  errorStatus: z.union([z.literal(500), z.literal(502), z.literal(503), z.literal(504)]).default(500),
  /** Share of requests answered 429 with `Retry-After: retryAfterSeconds`. */
  rateLimitRate: rate.default(0),
  retryAfterSeconds: z.int().min(0).max(3600).default(1),
  /** Share of requests never answered: the connection stays open until the client gives up. */
  hangRate: rate.default(0),
  /**
   * Share of requests that take effect but whose answer is lost: the handler runs and commits,
   * then the connection is dropped instead of sending the response.
   */
  lostAnswerRate: rate.default(0),
  /**
   * `unavailable`: every business request, and /healthz, gets 503; `reset`: their connection is
   * dropped without an answer.
   */
  outage: z.enum(['none', 'unavailable', 'reset']).default('none'),
});
export type FaultSettings = z.output<typeof faultSettingsSchema>;

export const NO_FAULTS: FaultSettings = faultSettingsSchema.parse({});

/** The log line of a lost answer (warn, with the service's name): the chaos run counts them. */
export const LOST_ANSWER_LOG =
  'answer lost (injected): the request ran, the connection was dropped instead of the answer';

/**
 * Lets the request run to its end (the handlers commit their effect before they answer), then
 * drops the connection at the first attempt to send anything: the caller sees a reset, never
 * the answer. Every way out of Express (json, send, end, writeHead, write) is covered.
 */
function loseAnswer(req: Request, res: Response): void {
  let dropped = false;
  const drop = (): Response => {
    if (!dropped) {
      dropped = true;
      // pino-http's request logger, when the app has one: a lost answer is worth a line of its own.
      (req as { log?: { warn(obj: object, msg: string): void } }).log?.warn(
        { fault: 'lostAnswer', statusCode: res.statusCode },
        LOST_ANSWER_LOG,
      );
      req.socket.destroy();
    }
    return res;
  };
  const mutable = res as unknown as Record<'json' | 'send' | 'end' | 'writeHead' | 'write' | 'flushHeaders', unknown>;
  for (const method of ['json', 'send', 'end', 'writeHead', 'write', 'flushHeaders'] as const) mutable[method] = drop;
}

export class FaultController {
  private current: FaultSettings = NO_FAULTS;

  constructor(private readonly random: () => number = Math.random) {}

  get settings(): FaultSettings {
    return this.current;
  }

  set(settings: FaultSettings): void {
    this.current = settings;
  }

  reset(): void {
    this.current = NO_FAULTS;
  }

  private roll(probability: number): boolean {
    return probability > 0 && this.random() < probability;
  }

  /** Answers for the service while an outage is on (a dropped connection or a 503); false: no outage. */
  private outage(res: Response): boolean {
    const { outage } = this.current;
    if (outage === 'reset') {
      res.socket?.destroy();
      return true;
    }
    if (outage === 'unavailable') {
      const { status, body } = rejection(503, 'outage', 'service unavailable (injected outage)');
      res.status(status).json(body);
      return true;
    }
    return false;
  }

  /** Middleware placed in front of /healthz: only an outage reaches the health check. */
  healthMiddleware(): RequestHandler {
    return (_req, res, next) => {
      if (!this.outage(res)) next();
    };
  }

  /** Middleware placed in front of the business routes. */
  middleware(): RequestHandler {
    return async (req, res, next) => {
      const faults = this.current;
      if (this.outage(res)) return;
      if (faults.latencyMs > 0) await sleep(faults.latencyMs);
      if (this.roll(faults.rateLimitRate)) {
        const { status, body } = rejection(429, 'rate_limited', 'too many requests (injected)');
        res.status(status).set('Retry-After', String(faults.retryAfterSeconds)).json(body);
        return;
      }
      if (this.roll(faults.errorRate)) {
        const { status, body } = rejection(faults.errorStatus, 'injected_error', `injected ${faults.errorStatus}`);
        res.status(status).json(body);
        return;
      }
      if (this.roll(faults.hangRate)) return; // never answered: closed by the client or at shutdown
      if (this.roll(faults.lostAnswerRate)) loseAnswer(req, res);
      next();
    };
  }

  router(): Router {
    const router = Router();
    router.get('/_faults', (_req, res) => void res.json(this.current));
    router.put('/_faults', (req, res) => {
      this.set(parseInput(faultSettingsSchema, req.body ?? {}, 'fault settings'));
      res.json(this.current);
    });
    router.delete('/_faults', (_req, res) => {
      this.reset();
      res.json(this.current);
    });
    return router;
  }
}
