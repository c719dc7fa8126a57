/**
 * Records the event history of one order run by the workflow code in this checkout, as a
 * replay fixture (the JSON form `historyFromJSON` / `Worker.runReplayHistories` read):
 *
 *   npm run record-history -- --scenario happy --out test/fixtures/histories/v2-happy.json
 *
 * Scenarios:
 *   happy              an order that completes                        (ends COMPLETED)
 *   revoked            the card is declined at capture                (ends TRANSACTION_REVOKED)
 *   awaiting-approval  a total above the approval threshold, recorded while it waits (left open)
 *   carrier-fallback-retried
 *                      both carriers down: the primary's key is voided, the backup gives out, the
 *                      order parks; the carriers come back and an operator retries it
 *   cancelled-while-reserving
 *                      the reservation and the fraud score hang; the customer cancels (ends CANCELLED)
 *
 * The order runs on a time-skipping test server against the in-memory fake downstreams of the
 * tests (test/harness/fake-ports.ts), through the same worker set-up as production
 * (`createOrderWorkers`): the history is a real one, of the real workflow code. See docs/versioning.md.
 */
import fs from 'node:fs';
import path from 'node:path';
import { parseArgs } from 'node:util';
import type { WorkflowHandle } from '@temporalio/client';
import { createActivities } from '../../src/activities';
import { DownstreamUnavailableError, PaymentDeclinedError } from '../../src/activities/errors';
import { createOrderWorkers, runWorkersUntil } from '../../src/temporal/workers';
import {
  cancelOrderUpdate,
  getOrderStateQuery,
  ORDER_WORKFLOW_TYPE,
  orderSearchAttributes,
  type OrderState,
  retryParkedOrderUpdate,
} from '../../src/workflows/definitions';
import { OrderStatus } from '../../src/workflows/order-status';
import { DEFAULT_ORDER_POLICY, orderTotal, type OrderInput } from '../../src/workflows/order-types';
import { FakePorts } from '../harness/fake-ports';
import { createTimeSkippingEnv } from '../harness/temporal';
import { waitForState } from '../saga/harness';
import { historyToJSON } from '@temporalio/common/lib/proto-utils';

const SCENARIOS = [
  'happy',
  'revoked',
  'awaiting-approval',
  'carrier-fallback-retried',
  'cancelled-while-reserving',
] as const;
type Scenario = (typeof SCENARIOS)[number];

function fixtureOrder(scenario: Scenario): OrderInput {
  const unitPrice = scenario === 'awaiting-approval' ? 80_000 : 1_500;
  const items = [{ sku: 'SKU-1', quantity: 2, unitPrice }];
  return {
    orderId: `order-fixture-${scenario}`,
    customer: { id: `cust-fixture-${scenario}`, email: 'ada@example.com', name: 'Ada' },
    items,
    currency: 'EUR',
    shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Paris', postalCode: '75001', country: 'FR' },
    total: orderTotal(items),
    policy: { ...DEFAULT_ORDER_POLICY, approvers: ['alice'] },
  };
}

async function settled(
  handle: WorkflowHandle,
  scenario: Scenario,
  env: Awaited<ReturnType<typeof createTimeSkippingEnv>>,
  fakes: FakePorts,
): Promise<OrderState> {
  if (scenario === 'carrier-fallback-retried') {
    await env.sleep('30 minutes');
    const parked = await handle.query(getOrderStateQuery);
    if (parked.status !== OrderStatus.NEEDS_ATTENTION) throw new Error(`expected a parked order, got ${parked.status}`);
    fakes.faults.heal('primaryCarrier.dispatch').heal('backupCarrier.dispatch');
    await handle.executeUpdate(retryParkedOrderUpdate, { args: [{ operator: 'ops', reason: 'carriers are back' }] });
  }
  if (scenario === 'cancelled-while-reserving') {
    await waitForState(
      handle,
      (s) => s.currentStep === 'reserveInventory' && fakes.faults.callsOf('fraudModel.score').length > 0,
    );
    await handle.executeUpdate(cancelOrderUpdate, { args: [{ reason: 'changed my mind', requestedBy: 'customer' }] });
  }
  if (scenario !== 'awaiting-approval') return (await handle.result()) as OrderState;
  // Left open, waiting for a decision.
  return waitForState(handle, (s) => s.status === OrderStatus.AWAITING_APPROVAL);
}

const EXPECTED: Record<Scenario, OrderStatus> = {
  happy: OrderStatus.COMPLETED,
  revoked: OrderStatus.TRANSACTION_REVOKED,
  'awaiting-approval': OrderStatus.AWAITING_APPROVAL,
  // Before the stay-on-alternative patch the retry went back to the primary: REJECTED.
  'carrier-fallback-retried': OrderStatus.COMPLETED,
  'cancelled-while-reserving': OrderStatus.CANCELLED,
};

async function record(scenario: Scenario, out: string): Promise<void> {
  const env = await createTimeSkippingEnv();
  try {
    const fakes = new FakePorts();
    if (scenario === 'revoked')
      fakes.faults.fail('payments.capture', 1, () => new PaymentDeclinedError('payments', 'card declined'));
    if (scenario === 'carrier-fallback-retried') {
      const down = () => new DownstreamUnavailableError('carrier', '503 Service Unavailable');
      fakes.faults.failAlways('primaryCarrier.dispatch', down).failAlways('backupCarrier.dispatch', down);
    }
    if (scenario === 'cancelled-while-reserving') fakes.faults.hang('inventory.reserve').hang('fraudModel.score');
    const taskQueue = `record-history-${scenario}`;
    const workers = await createOrderWorkers({
      connection: env.nativeConnection,
      taskQueue,
      workflowsPath: require.resolve('../../src/workflows/order-fulfillment'),
      activities: createActivities({ ports: fakes.ports, random: () => 0 }),
    });
    const input = fixtureOrder(scenario);
    const state = await runWorkersUntil(workers, async () => {
      const handle = await env.client.workflow.start(ORDER_WORKFLOW_TYPE, {
        args: [input],
        taskQueue,
        workflowId: input.orderId,
        typedSearchAttributes: orderSearchAttributes(input),
      });
      const result = await settled(handle, scenario, env, fakes);
      const history = await handle.fetchHistory();
      fs.mkdirSync(path.dirname(out), { recursive: true });
      // Pretty-printed so a changed fixture reads well in a diff.
      fs.writeFileSync(out, `${JSON.stringify(JSON.parse(historyToJSON(history)), null, 2)}\n`);
      if (scenario === 'awaiting-approval') await handle.terminate('fixture recorded');
      return result;
    });
    if (state.status !== EXPECTED[scenario])
      throw new Error(`scenario ${scenario} ended ${state.status}, expected ${EXPECTED[scenario]}`);
    process.stdout.write(`recorded ${scenario} (${state.status}, ${state.transitions.length} transitions) to ${out}\n`);
  } finally {
    await env.teardown();
  }
}

async function main(): Promise<void> {
  const { values } = parseArgs({ options: { scenario: { type: 'string' }, out: { type: 'string' } } });
  const scenario = values.scenario as Scenario | undefined;
  if (!scenario || !SCENARIOS.includes(scenario)) {
    throw new Error(
      `usage: record-history --scenario ${SCENARIOS.join('|')} [--out test/fixtures/histories/<name>.json]`,
    );
  }
  await record(scenario, values.out ?? path.join('test', 'fixtures', 'histories', `${scenario}.json`));
}

main().catch((err: unknown) => {
  process.stderr.write(`${err instanceof Error ? (err.stack ?? err.message) : String(err)}\n`);
  process.exit(1);
});
