/**
 * The OpenAPI 3.1 document, generated from the same zod schemas that validate requests (and
 * describe responses), so the published contract cannot drift from the code.
 */
import { z } from 'zod';
import { sessionSchema } from './console';
import { PROBLEM_CONTENT_TYPE, PROBLEM_TYPES, problemType, type ProblemSlug } from './problem';
import { REQUEST_ID_HEADER } from './request-log';
import {
  drainReportSchema,
  healthSchema,
  orderAcceptedSchema,
  orderFromQuerySchema,
  orderFromRecordsSchema,
  orderPageSchema,
  orderReadSchema,
  orderRecordsSchema,
  orderStateSchema,
  orderSummarySchema,
  problemSchema,
  readinessSchema,
  steeringAcceptedSchema,
} from './response-schemas';
import {
  approvalDecisionSchema,
  cancelRequestSchema,
  drainRequestSchema,
  IDEMPOTENCY_KEY_HEADER,
  idempotencyKeySchema,
  listOrdersQuerySchema,
  orderIdSchema,
  orderRequestSchema,
  orderStatusSchema,
  retryRequestSchema,
} from './schemas';
import { SIGNATURE_HEADER } from './signing';

type JsonObject = Record<string, unknown>;
const ref = (name: string) => ({ $ref: `#/components/schemas/${name}` });

/** Component schemas from a registry, without the per-document keys OpenAPI does not want. */
function componentSchemas(entries: [string, z.ZodType][], io: 'input' | 'output'): Record<string, JsonObject> {
  const registry = z.registry<{ id: string }>();
  for (const [id, schema] of entries) registry.add(schema, { id });
  const { schemas } = z.toJSONSchema(registry, {
    io,
    target: 'draft-2020-12',
    unrepresentable: 'any',
    uri: (id) => `#/components/schemas/${id}`,
  });
  return Object.fromEntries(
    Object.entries(schemas).map(([id, schema]) => {
      const { $schema: _dialect, $id: _id, ...rest } = schema as JsonObject;
      return [id, rest];
    }),
  );
}

function inlineSchema(schema: z.ZodType): JsonObject {
  const { $schema: _dialect, ...rest } = z.toJSONSchema(schema, {
    io: 'input',
    target: 'draft-2020-12',
    unrepresentable: 'any',
  }) as JsonObject;
  return rest;
}

const json = (schemaName: string, description: string) => ({
  description,
  content: { 'application/json': { schema: ref(schemaName) } },
});

function problems(...slugs: ProblemSlug[]): Record<string, unknown> {
  const byStatus = new Map<number, ProblemSlug[]>();
  for (const slug of slugs)
    byStatus.set(PROBLEM_TYPES[slug].status, [...(byStatus.get(PROBLEM_TYPES[slug].status) ?? []), slug]);
  return Object.fromEntries(
    [...byStatus].map(([status, group]) => [
      String(status),
      {
        description: group.map((slug) => `${PROBLEM_TYPES[slug].title} (${problemType(slug)})`).join('; '),
        content: { [PROBLEM_CONTENT_TYPE]: { schema: ref('Problem') } },
        ...(status === 503
          ? {
              headers: {
                'Retry-After': { description: 'Seconds to wait before retrying.', schema: { type: 'integer' } },
              },
            }
          : {}),
        ...(status === 429
          ? {
              headers: {
                'Retry-After': {
                  description: 'Seconds until the credential may send again.',
                  schema: { type: 'integer' },
                },
                RateLimit: { description: 'The remaining quota and when it resets.', schema: { type: 'string' } },
                'RateLimit-Policy': { description: 'The quota per minute.', schema: { type: 'string' } },
              },
            }
          : {}),
        ...(status === 415
          ? {
              headers: {
                'Accept-Post': {
                  description: 'The media type to send, when the Content-Type was refused.',
                  schema: { type: 'string' },
                },
                'Accept-Encoding': {
                  description: 'The content codings accepted, when the Content-Encoding was refused.',
                  schema: { type: 'string' },
                },
              },
            }
          : {}),
      },
    ]),
  );
}

const orderIdParameter = { name: 'id', in: 'path', required: true, schema: inlineSchema(orderIdSchema) };
const bearer = [{ bearerAuth: [] }];

function steering(operationId: string, summary: string, description: string, bodySchema: string, role: string) {
  return {
    post: {
      summary,
      description:
        `${description} Requires a bearer token with the \`${role}\` role; ` + "the acting identity is the token's.",
      operationId,
      tags: ['orders'],
      security: bearer,
      parameters: [orderIdParameter],
      requestBody: { required: true, content: { 'application/json': { schema: ref(bodySchema) } } },
      responses: {
        '200': json('OrderState', 'The change was applied; the order state after it.'),
        '202': json('SteeringAccepted', 'The change was accepted and the order is still settling.'),
        ...problems(
          'malformed-json',
          'malformed-body',
          'invalid-request',
          'unauthenticated',
          'forbidden',
          'order-not-found',
          'order-conflict',
          'payload-too-large',
          'unsupported-media-type',
          'validation-failed',
          'rate-limited',
          'temporal-unavailable',
        ),
      },
    },
  };
}

export function buildOpenApiDocument(): JsonObject {
  const listParameters = (['status', 'customerId', 'pageSize', 'cursor'] as const).map((name) => ({
    name,
    in: 'query',
    required: false,
    schema: inlineSchema(listOrdersQuerySchema.shape[name]),
  }));

  return {
    openapi: '3.1.0',
    info: {
      title: 'Order fulfillment API',
      version: '1.0.0',
      description:
        'Start and steer orders run by the order-fulfillment saga on Temporal. ' +
        'Every error is RFC 9457 problem details, including those no operation lists: ' +
        '405 with Allow for a method a path does not serve, 404 for an unknown path, and, for requests ' +
        'refused before routing, 400 (not valid HTTP/1.1), 408 (too slow) and 431 (headers too large). ' +
        'A body may be sent with Content-Encoding gzip, deflate or br; the size limit applies after decoding. ' +
        `Each response carries ${REQUEST_ID_HEADER}; send your own (8-128 safe characters) to correlate logs. ` +
        'Each response also carries Cache-Control: no-store and security headers ' +
        "(Content-Security-Policy: default-src 'none'; frame-ancestors 'none', X-Frame-Options: DENY, " +
        'X-Content-Type-Options: nosniff, Referrer-Policy: no-referrer).',
    },
    servers: [{ url: '/' }],
    tags: [{ name: 'orders' }, { name: 'dead letters' }, { name: 'session' }, { name: 'operations' }],
    paths: {
      '/orders': {
        post: {
          summary: 'Submit an order',
          description:
            `Signed with ${SIGNATURE_HEADER} (v2: method, path, ${IDEMPOTENCY_KEY_HEADER} and body; see the ` +
            'requestSignature scheme), so a signed request cannot be replayed under another key. ' +
            'Each signing secret is rate-limited (429 with Retry-After). ' +
            `The ${IDEMPOTENCY_KEY_HEADER} becomes the order id: ` +
            'repeating a request returns the existing order (200) and starts nothing; ' +
            'reusing a key with a different body is 422.',
          operationId: 'submitOrder',
          tags: ['orders'],
          security: [{ requestSignature: [] }],
          parameters: [
            { name: IDEMPOTENCY_KEY_HEADER, in: 'header', required: true, schema: inlineSchema(idempotencyKeySchema) },
          ],
          requestBody: { required: true, content: { 'application/json': { schema: ref('OrderRequest') } } },
          responses: {
            '202': {
              ...json('OrderAccepted', 'The order was started.'),
              headers: { Location: { schema: { type: 'string' } } },
            },
            '200': json(
              'OrderAccepted',
              'The same request was already accepted: the existing order (Idempotent-Replayed: true).',
            ),
            ...problems(
              'malformed-json',
              'malformed-body',
              'invalid-request',
              'invalid-signature',
              'payload-too-large',
              'unsupported-media-type',
              'validation-failed',
              'idempotency-key-reused',
              'rate-limited',
              'temporal-unavailable',
            ),
          },
        },
        get: {
          summary: 'List orders',
          description:
            'Orders from Temporal visibility, newest first, filtered by status and customer; page with `nextCursor`.',
          operationId: 'listOrders',
          tags: ['orders'],
          security: bearer,
          parameters: listParameters,
          responses: {
            '200': json('OrderPage', 'One page of orders.'),
            ...problems('invalid-request', 'unauthenticated', 'forbidden', 'rate-limited', 'temporal-unavailable'),
          },
        },
      },
      '/orders/{id}': {
        get: {
          summary: 'Read an order',
          description:
            'The order\'s full state from the workflow\'s getOrderState query (`source: "query"`). ' +
            'A query needs a worker: when none answers within about a second (workers down, deploying, ' +
            "scaled to zero), or the workflow cannot answer, the order is read from Temporal's records " +
            'instead (`source: "records"`): the status from the OrderStatus search attribute, the ' +
            'workflow status, times, search attributes and memo, and `missing` lists the state fields ' +
            'that need a worker. A completed order is always read from its records: its result is its ' +
            'full final state (`missing` empty), so no worker has to replay it. Requires any bearer token.',
          operationId: 'getOrder',
          tags: ['orders'],
          security: bearer,
          parameters: [orderIdParameter],
          responses: {
            '200': json('Order', 'The order: the live query answer or its records; `source` says which.'),
            ...problems(
              'invalid-request',
              'unauthenticated',
              'forbidden',
              'order-not-found',
              'rate-limited',
              'temporal-unavailable',
            ),
          },
        },
      },
      '/orders/{id}/approval': steering(
        'decideApproval',
        'Decide an approval',
        'Approve or reject an order waiting in AWAITING_APPROVAL.',
        'ApprovalDecision',
        'approver',
      ),
      '/orders/{id}/cancel': steering(
        'cancelOrder',
        'Cancel an order',
        "Cancel an order before dispatch, e.g. on the customer's behalf.",
        'CancelRequest',
        'operator',
      ),
      '/orders/{id}/retry': steering(
        'retryParkedOrder',
        'Retry a parked order',
        'Retry an order parked in NEEDS_ATTENTION.',
        'RetryRequest',
        'operator',
      ),
      '/admin/dead-letters/drain': {
        post: {
          summary: 'Drain the dead letters',
          description:
            'Retries every order parked in NEEDS_ATTENTION (listed by the OrderStatus search attribute, ' +
            'as `GET /orders?status=NEEDS_ATTENTION` lists them), ' +
            'with the same update as `POST /orders/{id}/retry`, ' +
            'and reports per order whether it was retried, refused or failed. ' +
            'Answers once every order has accepted (or refused) its retry, not once they have settled. ' +
            'Requires a bearer token with the `operator` role.',
          operationId: 'drainDeadLetters',
          tags: ['dead letters'],
          security: bearer,
          requestBody: { required: true, content: { 'application/json': { schema: ref('DrainRequest') } } },
          responses: {
            '200': json('DrainReport', 'What the drain did, order by order (an empty list when nothing was parked).'),
            ...problems(
              'malformed-json',
              'malformed-body',
              'unauthenticated',
              'forbidden',
              'payload-too-large',
              'unsupported-media-type',
              'validation-failed',
              'rate-limited',
              'temporal-unavailable',
            ),
          },
        },
      },
      '/me': {
        get: {
          summary: 'Who holds this token',
          description:
            "The bearer token's identity and role, so a client (the operator console at /console/) offers only " +
            'the actions the role may take. Any valid token.',
          operationId: 'whoAmI',
          tags: ['session'],
          security: bearer,
          responses: {
            '200': json('Session', "The token's identity and role."),
            ...problems('unauthenticated', 'rate-limited'),
          },
        },
      },
      '/healthz': {
        get: {
          summary: 'Liveness',
          operationId: 'health',
          tags: ['operations'],
          responses: { '200': json('Health', 'The process is up.') },
        },
      },
      '/readyz': {
        get: {
          summary: 'Readiness',
          operationId: 'readiness',
          tags: ['operations'],
          responses: {
            '200': json('Readiness', 'Temporal answers and the namespace exists.'),
            ...problems('not-ready'),
          },
        },
      },
      '/metrics': {
        get: {
          summary: 'Prometheus metrics',
          description: 'Open unless API_METRICS_TOKEN is set; then that token is required.',
          operationId: 'metrics',
          tags: ['operations'],
          security: [{}, { metricsToken: [] }],
          responses: {
            '200': {
              description: 'Prometheus text exposition format.',
              content: { 'text/plain': { schema: { type: 'string' } } },
            },
            ...problems('unauthenticated'),
          },
        },
      },
      '/openapi.json': {
        get: {
          summary: 'This document',
          operationId: 'openApi',
          tags: ['operations'],
          responses: {
            '200': {
              description: 'OpenAPI 3.1 document.',
              content: { 'application/json': { schema: { type: 'object' } } },
            },
          },
        },
      },
    },
    components: {
      schemas: {
        ...componentSchemas(
          [
            ['OrderRequest', orderRequestSchema],
            ['ApprovalDecision', approvalDecisionSchema],
            ['CancelRequest', cancelRequestSchema],
            ['RetryRequest', retryRequestSchema],
            ['DrainRequest', drainRequestSchema],
          ],
          'input',
        ),
        ...componentSchemas(
          [
            ['OrderStatus', orderStatusSchema],
            ['OrderState', orderStateSchema],
            ['Order', orderReadSchema],
            ['OrderFromQuery', orderFromQuerySchema],
            ['OrderFromRecords', orderFromRecordsSchema],
            ['OrderRecords', orderRecordsSchema],
            ['OrderAccepted', orderAcceptedSchema],
            ['OrderSummary', orderSummarySchema],
            ['OrderPage', orderPageSchema],
            ['SteeringAccepted', steeringAcceptedSchema],
            ['DrainReport', drainReportSchema],
            ['Session', sessionSchema],
            ['Problem', problemSchema],
            ['Health', healthSchema],
            ['Readiness', readinessSchema],
          ],
          'output',
        ),
        // Overrides the generated union with the same oneOf plus its discriminator, for client generators.
        Order: {
          oneOf: [ref('OrderFromQuery'), ref('OrderFromRecords')],
          discriminator: {
            propertyName: 'source',
            mapping: { query: ref('OrderFromQuery').$ref, records: ref('OrderFromRecords').$ref },
          },
          description: orderReadSchema.meta()?.description,
        },
      },
      securitySchemes: {
        bearerAuth: {
          type: 'http',
          scheme: 'bearer',
          description:
            'A token from API_TOKENS; its role decides what it may do. Each identity is rate-limited ' +
            '(429 with Retry-After): reads and steering separately.',
        },
        requestSignature: {
          type: 'apiKey',
          in: 'header',
          name: SIGNATURE_HEADER,
          description:
            't=<unix seconds>,v2=<hex HMAC-SHA256, keyed with a secret from API_SIGNING_SECRETS, over ' +
            '"v2\\n<t>\\n<METHOD>\\n<path>\\n<Idempotency-Key>\\n" followed by the raw body bytes>.',
        },
        metricsToken: {
          type: 'http',
          scheme: 'bearer',
          description: 'API_METRICS_TOKEN, when set.',
        },
      },
    },
  };
}
