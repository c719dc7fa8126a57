import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import request from 'supertest';
import { WorkflowNotFoundError } from '@temporalio/client';
import type { z } from 'zod';
import { buildOpenApiDocument } from '../../src/api/openapi';
import { cancelRequestSchema, approvalDecisionSchema, orderRequestSchema } from '../../src/api/schemas';
import {
  assertProblem,
  bearer,
  newKey,
  sampleOrder,
  startApiHarness,
  submitOrder,
  TOKENS,
  type ApiHarness,
} from './harness';

let h: ApiHarness;
before(async () => {
  h = await startApiHarness();
});
after(async () => {
  await h?.stop();
});

type JsonSchema = { pattern?: string; maxLength?: number; format?: string; enum?: string[]; description?: string };
const schemas = (buildOpenApiDocument() as { components: { schemas: Record<string, { properties: never }> } })
  .components.schemas;
const property = (path: string): JsonSchema => {
  let node = schemas as unknown as Record<string, unknown>;
  for (const part of path.split('.')) {
    const next = node[part] as Record<string, unknown>;
    node = (next.properties as Record<string, unknown> | undefined) ?? next;
  }
  return node;
};

/**
 * Accepted by the published schema of a string property, read the way JSON Schema tools read it,
 * plus the one rule no portable pattern can state (lone surrogates), which the description states.
 */
function specAccepts(schema: JsonSchema, value: string): boolean {
  if (schema.maxLength !== undefined && [...value].length > schema.maxLength) return false;
  if (schema.pattern !== undefined && /surrogate/.test(schema.description ?? '') && /[\ud800-\udfff]/u.test(value))
    return false;
  return schema.pattern === undefined || new RegExp(schema.pattern, 'u').test(value);
}

const address = sampleOrder().shippingAddress;
const fields = {
  'shippingAddress.name': orderRequestSchema.shape.shippingAddress.shape.name,
  'shippingAddress.line1': orderRequestSchema.shape.shippingAddress.shape.line1,
  'shippingAddress.postalCode': orderRequestSchema.shape.shippingAddress.shape.postalCode,
  'customer.name': orderRequestSchema.shape.customer.shape.name.unwrap(),
  'customer.email': orderRequestSchema.shape.customer.shape.email,
} as const;
const specOf: Record<keyof typeof fields, string> = {
  'shippingAddress.name': 'OrderRequest.shippingAddress.name',
  'shippingAddress.line1': 'OrderRequest.shippingAddress.line1',
  'shippingAddress.postalCode': 'OrderRequest.shippingAddress.postalCode',
  'customer.name': 'OrderRequest.customer.name',
  'customer.email': 'OrderRequest.customer.email',
};

const REFUSED: [string, string][] = [
  ['NUL', '\u0000'],
  ['BEL', '\u0007'],
  ['ESC', '\u001b'],
  ['tab', '\t'],
  ['line feed', '\n'],
  ['DEL', '\u007f'],
  ['NEL (C1)', '\u0085'],
  ['CSI (C1)', '\u009b'],
  ['soft hyphen', '\u00ad'],
  ['zero-width space', '\u200b'],
  ['right-to-left mark', '\u200f'],
  ['line separator', '\u2028'],
  ['right-to-left override', '\u202e'],
  ['left-to-right isolate', '\u2066'],
  ['word joiner', '\u2060'],
  ['byte-order mark', '\ufeff'],
  ['lone surrogate', '\ud800'],
];

describe('text fields refuse control, invisible and bidi characters', () => {
  for (const [what, ch] of REFUSED) {
    test(`${what} (U+${ch.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) in a name is 422 and starts nothing`, async () => {
      const key = newKey();
      const body = JSON.stringify(sampleOrder({ shippingAddress: { ...address, name: `Ada${ch}Lovelace` } }));
      const problem = assertProblem(await submitOrder(h.app, body, { key }), 422, 'validation-failed');
      const errors = problem.errors as { field: string; message: string }[];
      assert.equal(errors[0]?.field, 'shippingAddress.name');
      assert.match(
        errors[0].message,
        /^contains (U\+[0-9A-F]{4}, a control, invisible or bidirectional|a lone surrogate)/,
      );
      await assert.rejects(h.env.client.workflow.getHandle(`order-${key}`).describe(), WorkflowNotFoundError);
    });
  }

  test('scripts that need ZWJ/ZWNJ, accents and emoji are accepted and kept as sent', async () => {
    const names = ['Zoë Ørsted-Núñez', 'مریم‌خانم', 'क्षत्रिय', '山田 太郎', 'Dev 👩‍💻'];
    for (const name of names) {
      const res = await submitOrder(h.app, sampleOrder({ customer: { ...sampleOrder().customer, name } }));
      assert.equal(res.status, 202, `${name}: ${JSON.stringify(res.body)}`);
    }
  });

  test('blank text is refused as blank; surrounding spaces are trimmed after the check', async () => {
    const blank = sampleOrder({ shippingAddress: { ...address, city: ' \u00a0\u3000 ' } });
    const problem = assertProblem(await submitOrder(h.app, blank), 422, 'validation-failed');
    assert.deepEqual(problem.errors, [{ field: 'shippingAddress.city', message: 'must not be blank' }]);
    const parsed = orderRequestSchema.parse(sampleOrder({ shippingAddress: { ...address, city: '  London ' } }));
    assert.equal(parsed.shippingAddress.city, 'London');
  });

  test('operator text may span lines but not hide characters; a blank reason is refused', async () => {
    const cancel = (reason: string) =>
      request(h.app).post(`/orders/order-${newKey()}/cancel`).set(bearer(TOKENS.operator)).send({ reason });
    // Valid bodies reach the order lookup (404); invalid ones stop at validation (422).
    assertProblem(await cancel('customer called\n\tand asked twice'), 404, 'order-not-found');
    const hidden = assertProblem(await cancel('ok\u202e'), 422, 'validation-failed');
    assert.equal((hidden.errors as { field: string }[])[0]?.field, 'reason');
    const blank = assertProblem(await cancel(' \n\t '), 422, 'validation-failed');
    assert.deepEqual(blank.errors, [{ field: 'reason', message: 'must not be blank' }]);
  });
});

describe('the published schema accepts exactly what the server accepts', () => {
  // Strings rich in the characters the rules are about, plus anything Unicode.
  const interesting = fc.constantFrom(' ', '\u00a0', '\t', '\n', 'a', 'é', '@', '.', '-', ...REFUSED.map(([, c]) => c));
  const text = fc.oneof(
    fc.string({ unit: fc.oneof(interesting, fc.constantFrom('x', 'y', 'example', 'com')), maxLength: 12 }),
    fc.string({ unit: 'binary', maxLength: 30 }),
    fc.emailAddress(),
  );

  // Near each limit, with characters outside the BMP (one character, two UTF-16 units).
  const nearLimit = (max: number) =>
    fc.string({ unit: fc.constantFrom('a', ' ', '😀', '\u200b'), minLength: max - 3, maxLength: max + 3 });

  for (const [field, schema] of Object.entries(fields) as [keyof typeof fields, z.ZodType][]) {
    test(field, () => {
      const spec = property(specOf[field]);
      assert.equal(spec.format, undefined, 'a pattern, not a format whose meaning varies between validators');
      const values = spec.maxLength === undefined ? text : fc.oneof(text, nearLimit(spec.maxLength));
      fc.assert(
        fc.property(values, (value) => {
          assert.equal(specAccepts(spec, value), schema.safeParse(value).success, JSON.stringify(value));
        }),
        { numRuns: 2000 },
      );
    });
  }

  test('reason and comment', () => {
    const reason = property('CancelRequest.reason');
    const comment = property('ApprovalDecision.comment');
    fc.assert(
      fc.property(text, (value) => {
        assert.equal(specAccepts(reason, value), cancelRequestSchema.safeParse({ reason: value }).success);
        const decision = { decision: 'approve', comment: value };
        assert.equal(specAccepts(comment, value), approvalDecisionSchema.safeParse(decision).success);
      }),
      { numRuns: 2000 },
    );
    assert.equal(specAccepts(reason, '   '), false, 'whitespace-only is not a reason, in the spec too');
  });
});

describe('currency, email, keys and bytes', () => {
  test('currency must be an active ISO 4217 code', async () => {
    for (const currency of ['ZZZ', 'XTS', 'XXX', 'eur', 'EURO']) {
      const problem = assertProblem(await submitOrder(h.app, sampleOrder({ currency })), 422, 'validation-failed');
      assert.equal((problem.errors as { field: string }[])[0]?.field, 'currency', currency);
    }
    for (const currency of ['JPY', 'XOF', 'CHF'])
      assert.equal((await submitOrder(h.app, sampleOrder({ currency }))).status, 202);
  });

  test('emails: a plain address passes; ones without a real domain do not', async () => {
    const customer = sampleOrder().customer;
    for (const email of ['ada+orders@mail.example.co.uk', "o'brien@example.ie"])
      assert.equal((await submitOrder(h.app, sampleOrder({ customer: { ...customer, email } }))).status, 202, email);
    for (const email of ['ada@localhost', 'ada@example', '.ada@example.com', 'ada..l@example.com', 'ada@-x.com']) {
      const res = await submitOrder(h.app, sampleOrder({ customer: { ...customer, email } }));
      assert.equal(
        (assertProblem(res, 422, 'validation-failed').errors as { field: string }[])[0]?.field,
        'customer.email',
      );
    }
  });

  test('a key twice in one object is 422 naming each, in orders and in steering bodies', async () => {
    const order = JSON.stringify(sampleOrder())
      .replace('"email":', '"email":"eve@example.com","email":')
      .replace('"sku":', '"sku":"SKU-X","sku":');
    const problem = assertProblem(await submitOrder(h.app, order), 422, 'validation-failed');
    assert.deepEqual(
      (problem.errors as { field: string }[]).map((e) => e.field),
      ['customer.email', 'items.0.sku'],
    );
    const steering = await request(h.app)
      .post(`/orders/order-${newKey()}/cancel`)
      .set(bearer(TOKENS.operator))
      .type('application/json')
      .send('{"reason":"customer asked","reason":"x"}');
    assert.deepEqual(assertProblem(steering, 422, 'validation-failed').errors, [
      { field: 'reason', message: 'this key appears more than once; send it once' },
    ]);
  });

  test('bytes that are not UTF-8 are 400, not replaced', async () => {
    const body = Buffer.concat([Buffer.from('{"reason":"caf'), Buffer.from([0xe9]), Buffer.from('"}')]);
    const res = await request(h.app)
      .post(`/orders/order-${newKey()}/cancel`)
      .set(bearer(TOKENS.operator))
      .type('application/json')
      .serialize((bytes: Buffer) => bytes as unknown as string)
      .send(body);
    assertProblem(res, 400, 'malformed-json');
  });

  test('a SKU may appear on several lines (counted together for stock), in the spec as on the server', async () => {
    const items = [
      { sku: 'SKU-BOOK-003', quantity: 1, unitPrice: 1250 },
      { sku: 'SKU-BOOK-003', quantity: 1, unitPrice: 999 },
    ];
    assert.equal((await submitOrder(h.app, sampleOrder({ items }))).status, 202);
    assert.match(String(property('OrderRequest.items').description), /several lines/);
  });
});
