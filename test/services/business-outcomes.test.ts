/** The documented magic values of payments, carriers, fraud and notifications. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { scoreWithModel, scoreWithRules, type ScoreRequest } from '../../src/services/fraud/scoring';
import { http, post, startTestServices, unique, type TestServices } from './harness';

let svc: TestServices;
before(async () => {
  svc = await startTestServices({ fraudModelSlowMs: 300 });
});
after(async () => {
  await svc?.stop();
});

const charge = (customerId: string, orderId = unique('order'), key = unique('capture')) =>
  post(svc.urls.payments, '/charges', key, { orderId, customerId, amount: 2500, currency: 'EUR' });

describe('payments', () => {
  for (const [customerId, code] of [
    ['cust-declined-7', 'payment_declined'],
    ['cust-nofunds', 'insufficient_funds'],
    ['cust-fraud-x', 'fraud_suspected'],
  ] as const) {
    test(`${customerId} → 402 ${code}, recorded as declined`, async () => {
      const orderId = unique('order');
      const res = await charge(customerId, orderId);
      assert.equal(res.status, 402);
      assert.equal(res.body.error?.code, code);
      const charges = (await http(svc.urls.payments, 'GET', `/charges?orderId=${orderId}`)).body.charges as {
        status: string;
        declineCode: string;
      }[];
      assert.deepEqual(
        charges.map((c) => [c.status, c.declineCode]),
        [['declined', code]],
      );
    });
  }

  test('any other customer is captured', async () => {
    const res = await charge('cust-42');
    assert.equal(res.status, 201);
    assert.equal(res.body.status, 'captured');
    assert.equal(res.body.amount, 2500);
  });

  test('a refund refunds the capture in full, once, whatever the refund key', async () => {
    const [orderId, captureKey] = [unique('order'), unique('capture')];
    const captured = await charge('cust-42', orderId, captureKey);
    const first = await post(svc.urls.payments, '/refunds', unique('refund'), { orderId, captureKey });
    assert.equal(first.body.status, 'refunded');
    const second = await post(svc.urls.payments, '/refunds', unique('refund'), { orderId, captureKey });
    assert.deepEqual(second.body, first.body);
    const refunds = (await http(svc.urls.payments, 'GET', `/refunds?orderId=${orderId}`)).body.refunds as {
      amount: number;
      chargeId: string;
    }[];
    assert.deepEqual(
      refunds.map((r) => [r.chargeId, r.amount]),
      [[captured.body.chargeId, 2500]],
    );
    const charges = (await http(svc.urls.payments, 'GET', `/charges?orderId=${orderId}`)).body.charges as {
      status: string;
    }[];
    assert.equal(charges[0]?.status, 'refunded');
  });

  test('refunding a capture never made is not_found, and a late capture with that key is refused', async () => {
    const [orderId, captureKey] = [unique('order'), unique('capture')];
    const refund = await post(svc.urls.payments, '/refunds', unique('refund'), { orderId, captureKey });
    assert.deepEqual(refund.body, { status: 'not_found', id: null });
    const late = await charge('cust-42', orderId, captureKey);
    assert.equal(late.status, 409);
    assert.equal(late.body.error?.code, 'capture_voided');
  });

  test('refunding a declined capture is not_found', async () => {
    const [orderId, captureKey] = [unique('order'), unique('capture')];
    await charge('cust-declined', orderId, captureKey);
    const refund = await post(svc.urls.payments, '/refunds', unique('refund'), { orderId, captureKey });
    assert.deepEqual(refund.body, { status: 'not_found', id: null });
  });
});

describe('carriers', () => {
  const address = {
    name: 'Grace Hopper',
    line1: '2 Compiler St',
    city: 'Arlington',
    postalCode: '22201',
    country: 'US',
  };

  test('each carrier dispatches under its own name and keeps its own ledger', async () => {
    const orderId = unique('order');
    const body = { orderId, address, items: [{ sku: 'SKU-TEE-002', quantity: 2 }] };
    const primary = await post(svc.urls.primaryCarrier, '/shipments', unique('dispatch'), body);
    assert.equal(primary.status, 201);
    assert.equal(primary.body.carrier, svc.carrierNames.primaryCarrier);
    assert.match(String(primary.body.trackingNumber), /^[A-Z]{3}\d{10}$/);
    const backupList = await http(svc.urls.backupCarrier, 'GET', `/shipments?orderId=${orderId}`);
    assert.deepEqual(backupList.body, { shipments: [] });
    const primaryList = await http(svc.urls.primaryCarrier, 'GET', `/shipments?orderId=${orderId}`);
    assert.equal((primaryList.body.shipments as unknown[]).length, 1);
  });

  test('postal code 00000 is undeliverable: 422 address_rejected, nothing shipped', async () => {
    const orderId = unique('order');
    const res = await post(svc.urls.backupCarrier, '/shipments', unique('dispatch'), {
      orderId,
      address: { ...address, postalCode: '00000' },
      items: [{ sku: 'X', quantity: 1 }],
    });
    assert.equal(res.status, 422);
    assert.equal(res.body.error?.code, 'address_rejected');
    assert.deepEqual((await http(svc.urls.backupCarrier, 'GET', `/shipments?orderId=${orderId}`)).body, {
      shipments: [],
    });
  });
});

describe('fraud scoring', () => {
  const base: ScoreRequest = {
    orderId: 'o-1',
    customerId: 'cust-1',
    email: 'ada@example.com',
    total: 5000,
    currency: 'EUR',
    country: 'DE',
    itemCount: 2,
  };

  test('both scorers are deterministic and answer the same over HTTP', async () => {
    for (const scorer of ['model', 'rules'] as const) {
      const a = await post(svc.urls.fraud, `/score/${scorer}`, 'k', base);
      const b = await post(svc.urls.fraud, `/score/${scorer}`, 'k', base);
      assert.equal(a.status, 200);
      assert.deepEqual(a.body, b.body);
      assert.deepEqual(a.body, scorer === 'model' ? scoreWithModel(base) : scoreWithRules(base));
    }
  });

  test('a clean order scores low on both scorers', () => {
    for (const result of [scoreWithModel(base), scoreWithRules(base)]) {
      assert.ok(result.score < 0.3, `${result.scorer} ${result.score}`);
      assert.deepEqual(result.reasons, ['no_risk_signals']);
    }
  });

  test('fraud.test is fraud and review.test falls in the review band, on both scorers', () => {
    for (const score of [scoreWithModel, scoreWithRules]) {
      assert.ok(score({ ...base, email: 'x@fraud.test' }).score >= 0.85);
      const review = score({ ...base, email: 'x@review.test' }).score;
      assert.ok(review >= 0.6 && review < 0.85);
    }
  });

  test('risk signals raise the score and are named', () => {
    const risky = { ...base, total: 900_000, country: 'US', itemCount: 50 };
    for (const score of [scoreWithModel, scoreWithRules]) {
      const result = score(risky);
      assert.ok(result.score > score(base).score);
      for (const reason of ['high_total', 'currency_country_mismatch', 'bulk_order'])
        assert.ok(result.reasons.includes(reason), reason);
    }
  });

  test('the model is slow for slow.test emails; the rules are not', async () => {
    const slow = { ...base, email: 'x@slow.test' };
    const model = await fetchWithin(svc.urls.fraud, '/score/model', slow, 100);
    assert.equal(model, 'timed out');
    const rules = await fetchWithin(svc.urls.fraud, '/score/rules', slow, 2000);
    assert.equal(rules, 200);
  });

  test('an invalid body is 400', async () => {
    const res = await post(svc.urls.fraud, '/score/model', 'k', { ...base, total: -1 });
    assert.equal(res.status, 400);
  });
});

async function fetchWithin(baseUrl: string, path: string, body: unknown, ms: number): Promise<number | 'timed out'> {
  try {
    const res = await fetch(`${baseUrl}${path}`, {
      method: 'POST',
      headers: { 'content-type': 'application/json' },
      body: JSON.stringify(body),
      signal: AbortSignal.timeout(ms),
    });
    await res.text();
    return res.status;
  } catch (err) {
    if (err instanceof Error && err.name === 'TimeoutError') return 'timed out';
    throw err;
  }
}

describe('notifications', () => {
  test('emails and pages are recorded in the ledger by channel', async () => {
    const orderId = unique('order');
    const common = { orderId, customerId: 'cust-1', email: 'ada@example.com', data: { total: 100 } };
    assert.equal(
      (await post(svc.urls.notifications, '/notifications', unique('n'), { ...common, template: 'order-confirmed' }))
        .status,
      201,
    );
    const page = {
      ...common,
      template: 'approval-escalation',
      channel: 'page',
      data: { approvers: ['lead@example.com', 'cfo@example.com'] },
    };
    assert.equal((await post(svc.urls.notifications, '/notifications', unique('n'), page)).status, 201);
    const pages = (await http(svc.urls.notifications, 'GET', `/notifications?orderId=${orderId}&channel=page`)).body
      .notifications as { template: string; recipient: string }[];
    assert.deepEqual(
      pages.map((n) => [n.template, n.recipient]),
      [['approval-escalation', 'lead@example.com, cfo@example.com']],
      'a page goes to the approvers, never to the customer',
    );
    const all = (await http(svc.urls.notifications, 'GET', `/notifications?orderId=${orderId}`)).body
      .notifications as unknown[];
    assert.equal(all.length, 2);
  });

  test('an unknown channel is 400', async () => {
    const res = await post(svc.urls.notifications, '/notifications', unique('n'), {
      orderId: 'o',
      customerId: 'c',
      email: 'e',
      template: 't',
      data: {},
      channel: 'sms',
    });
    assert.equal(res.status, 400);
  });
});
