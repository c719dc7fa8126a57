import assert from 'node:assert/strict';
import http from 'node:http';
import type { AddressInfo } from 'node:net';
import { test } from 'node:test';
import { MockActivityEnvironment } from '@temporalio/testing';
import { createActivities, type OrderActivities } from '../../src/activities';
import { createWebhookAlerts } from '../../src/activities/clients';
import type { SlaAlertRequest } from '../../src/workflows/order-types';
import { FakePorts } from '../harness/fake-ports';

const request: SlaAlertRequest = {
  orderId: 'order-sla-1',
  customerId: 'cust-1',
  status: 'INVENTORY_LOCKED',
  enteredStateAt: '2026-01-01T00:00:00.000Z',
  timeInStateMs: 301_000,
  limit: '300s',
  lastError: {
    step: 'capturePayment',
    type: 'RateLimited',
    message: 'too many requests',
    at: '2026-01-01T00:04:00.000Z',
  },
};

function rig(withWebhook: boolean) {
  const fakes = new FakePorts();
  const errors: { obj: Record<string, unknown>; msg: string }[] = [];
  const logger = {
    info: () => undefined,
    warn: () => undefined,
    error: (obj: object, msg: string) => errors.push({ obj: obj as Record<string, unknown>, msg }),
  };
  const activities = createActivities({
    ports: fakes.ports,
    logger,
    webUiUrl: 'https://temporal.example/',
    ...(withWebhook ? { alerts: fakes.alerts.port } : {}),
  });
  const env = new MockActivityEnvironment({
    attempt: 2,
    workflowExecution: { workflowId: 'order-sla-1', runId: 'run-1' },
    workflowNamespace: 'orders',
  });
  return {
    fakes,
    errors,
    raise: () =>
      env.run<
        [SlaAlertRequest],
        Awaited<ReturnType<OrderActivities['raiseSlaAlert']>>,
        OrderActivities['raiseSlaAlert']
      >(activities.raiseSlaAlert.bind(activities), request),
  };
}

test('the SLA alert is logged at error level and posted once per order, with where to look', async () => {
  const { fakes, errors, raise } = rig(true);
  const first = await raise();
  const again = await raise();
  assert.deepEqual({ ...first, attempt: 0 }, { alertId: 'alert_1', delivered: true, attempt: 0 });
  assert.deepEqual(again.alertId, first.alertId, 'a retry repeats the same alert');
  assert.equal(fakes.alerts.raised.size, 1);
  const alert = fakes.alerts.raised.get('order-sla-1:raiseSlaAlert')!;
  assert.equal(alert.severity, 'high');
  assert.match(alert.summary, /order order-sla-1 has been INVENTORY_LOCKED for 301 s \(SLA 300s\)/);
  const links = alert.context.links as { webUi: string; cli: string };
  assert.equal(links.webUi, 'https://temporal.example/namespaces/orders/workflows/order-sla-1');
  assert.equal(links.cli, 'temporal workflow describe --namespace orders --workflow-id order-sla-1');
  assert.deepEqual(alert.context.lastError, request.lastError, "no client to ask: the workflow's last error");
  assert.equal(errors[0]?.obj.severity, 'high');
  assert.equal(errors[0]?.obj.orderId, 'order-sla-1');
  assert.match(errors[0]?.msg ?? '', /^SLA breached: /);
});

test('without a webhook the error log line is the alert', async () => {
  const { errors, raise } = rig(false);
  const result = await raise();
  assert.equal(result.delivered, false);
  assert.equal(errors.length, 1);
});

test('the webhook client posts the alert as JSON with the idempotency key, to the configured path', async () => {
  const received: { path: string; key: string | undefined; body: unknown }[] = [];
  const server = http.createServer((req, res) => {
    let body = '';
    req.on('data', (c: Buffer) => (body += c.toString()));
    req.on('end', () => {
      received.push({
        path: req.url ?? '',
        key: req.headers['idempotency-key'] as string | undefined,
        body: JSON.parse(body) as unknown,
      });
      res.writeHead(201, { 'content-type': 'application/json' }).end(JSON.stringify({ alertId: 'ntf_1' }));
    });
  });
  await new Promise<void>((r) => server.listen(0, '127.0.0.1', () => r()));
  try {
    const alerts = createWebhookAlerts({
      url: `http://127.0.0.1:${(server.address() as AddressInfo).port}/hooks/alerts?team=ops`,
      timeoutMs: 2_000,
    });
    const alert = {
      orderId: 'order-1',
      customerId: 'c1',
      severity: 'high' as const,
      summary: 'stuck',
      context: { a: 1 },
    };
    assert.deepEqual(await alerts.raise(alert, { idempotencyKey: 'order-1:raiseSlaAlert' }), { alertId: 'ntf_1' });
    assert.deepEqual(received, [{ path: '/hooks/alerts?team=ops', key: 'order-1:raiseSlaAlert', body: alert }]);
  } finally {
    await new Promise<void>((r) => server.close(() => r()));
  }
});

test('the rules scorer activity asks the rules scorer under its own step key', async () => {
  const fakes = new FakePorts();
  const activities = createActivities({ ports: fakes.ports });
  const env = new MockActivityEnvironment({ workflowExecution: { workflowId: 'order-rules-1', runId: 'run-1' } });
  type Score = OrderActivities['scoreFraudByRules'];
  const scored = await env.run<Parameters<Score>, Awaited<ReturnType<Score>>, Score>(
    activities.scoreFraudByRules.bind(activities),
    {
      orderId: 'order-rules-1',
      customerId: 'c1',
      email: 'a@example.com',
      total: 1,
      currency: 'EUR',
      country: 'FR',
      itemCount: 1,
    },
  );
  assert.equal(scored.scorer, 'rules');
  assert.deepEqual(
    fakes.faults.calls.map((c) => [c.op, c.key]),
    [['fraudRules.score', 'order-rules-1:scoreFraudByRules']],
  );
});
