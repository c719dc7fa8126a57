/**
 * `POST /orders`: a signed, idempotent order intake. The Idempotency-Key becomes the workflow
 * id, so Temporal's id uniqueness is the lock: of any number of identical concurrent requests
 * exactly one starts the order (202) and the others find it (200, starting nothing). A key
 * reused with a different body is refused (422). Keys stay bound to their order after it
 * closes, for as long as the namespace retains the workflow.
 */
import type { Express, Request, RequestHandler, Response } from 'express';
import type { OrderInput } from '../workflows/order-types';
import { orderTotal } from '../workflows/order-types';
import type { RouteContext } from './context';
import { requestFingerprint } from './idempotency';
import { Problem } from './problem';
import { parseJson, rawBody, requireJson, validBody } from './request-body';
import { requestIdOf } from './request-log';
import {
  asOrderRequest,
  fieldErrors,
  IDEMPOTENCY_KEY_HEADER,
  idempotencyKeySchema,
  orderIdFor,
  orderRequestSchema,
} from './schemas';
import { SIGNATURE_HEADER, verifySignature } from './signing';

export const IDEMPOTENT_REPLAY_HEADER = 'Idempotent-Replayed';

const SIGNATURE_DETAILS = {
  missing:
    `Sign the request and send ${SIGNATURE_HEADER}: t=<unix seconds>,v2=<hex HMAC-SHA256 of ` +
    '"v2\\n<t>\\n<METHOD>\\n<path>\\n<Idempotency-Key>\\n<body>">.',
  malformed: `${SIGNATURE_HEADER} must look like t=<unix seconds>,v2=<64 hex digits>.`,
  'retired-scheme':
    'v1 signatures cover the body only and are no longer accepted; sign with v2 ' +
    '(method, path, Idempotency-Key and body).',
  expired: `The ${SIGNATURE_HEADER} timestamp is outside the accepted window; sign the request again.`,
  mismatch: `The ${SIGNATURE_HEADER} does not match the request (method, path, ${IDEMPOTENCY_KEY_HEADER} and body).`,
} as const;

/** Lets a request through only if it is signed with a configured secret; records which one. */
function requireSignature(config: RouteContext['config']): RequestHandler {
  return (req, res, next) => {
    const signature = verifySignature(
      req.get(SIGNATURE_HEADER),
      {
        method: req.method,
        path: req.originalUrl,
        idempotencyKey: req.get(IDEMPOTENCY_KEY_HEADER) ?? '',
        body: Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0),
      },
      { secrets: config.API_SIGNING_SECRETS, toleranceSeconds: config.API_SIGNATURE_TOLERANCE_SECONDS },
    );
    if (!signature.valid) throw new Problem('invalid-signature', SIGNATURE_DETAILS[signature.failure]);
    res.locals.signer = signature.signer;
    next();
  };
}

export function registerOrderIntake(app: Express, ctx: RouteContext): void {
  const { config, gateway, metrics, policy, rateLimits } = ctx;
  const signed = [requireJson, rawBody(config.API_BODY_LIMIT_BYTES), requireSignature(config), rateLimits.intake];

  app.post('/orders', ...signed, async (req: Request, res: Response) => {
    const raw = req.body as Buffer;

    const key = idempotencyKeySchema.safeParse(req.get(IDEMPOTENCY_KEY_HEADER));
    if (!key.success) {
      throw new Problem('invalid-request', `A valid ${IDEMPOTENCY_KEY_HEADER} header is required.`, {
        errors: fieldErrors(key.error).map((e) => ({ ...e, field: IDEMPOTENCY_KEY_HEADER })),
      });
    }

    const request = asOrderRequest(validBody(orderRequestSchema, parseJson(raw)));
    const orderId = orderIdFor(key.data);
    const requestId = requestIdOf(req);
    const fingerprint = requestFingerprint(request);
    const input: OrderInput = { ...request, orderId, total: orderTotal(request.items), policy, requestId };
    const location = `/orders/${orderId}`;
    res.locals.orderId = orderId;

    const outcome = await gateway.startOrder(input, { requestFingerprint: fingerprint, requestId });
    if (outcome.started) {
      metrics.orderSubmitted('started');
      req.log.info({ orderId, total: input.total, currency: input.currency }, 'order started');
      res.status(202).location(location).json({ orderId, status: 'RECEIVED', location, requestId });
      return;
    }
    if (outcome.fingerprint !== fingerprint) {
      metrics.orderSubmitted('key_reused');
      throw new Problem(
        'idempotency-key-reused',
        `The ${IDEMPOTENCY_KEY_HEADER} was already used for an order with a different body. ` +
          'Use a new key for a new order.',
      );
    }
    metrics.orderSubmitted('replayed');
    req.log.info({ orderId, originalRequestId: outcome.requestId }, 'order request replayed');
    res
      .status(200)
      .location(location)
      .set(IDEMPOTENT_REPLAY_HEADER, 'true')
      .json({ orderId, status: outcome.status ?? 'RECEIVED', location, requestId: outcome.requestId ?? requestId });
  });
}
