/**
 * Shared set-up of the saga tests: one time-skipping server and one workflow bundle per test
 * file, a fresh worker (as in production: the workflows and every activity inside its bulkhead,
 * on a task queue of its own) with fresh fake downstreams per test, and a capture of the workflow
 * logger's lines. Circuit breakers in front of the fakes on request.
 */
import assert from 'node:assert/strict';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import {
  bundleWorkflowCode,
  type InjectedSinks,
  type LoggerSinks,
  type WorkerOptions,
  type WorkflowBundleWithSourceMap,
} from '@temporalio/worker';
import { createActivities, type BackoffSettings } from '../../src/activities';
import { DownstreamBreakers, withCircuitBreakers } from '../../src/activities/resilience/circuit-breakers';
import type { BreakerName, BreakerSettings } from '../../src/activities/resilience/config';
import { ledgerViolations } from '../../src/services/ledger-invariant';
import { createOrderWorkers, runWorkersUntil } from '../../src/temporal/workers';
import type { Downstream } from '../../src/workflows/downstreams';
import {
  WorkflowUpdateFailedError,
  type WorkflowHandle,
  type WorkflowHandleWithFirstExecutionRunId,
} from '@temporalio/client';
import {
  getOrderStateQuery,
  ORDER_WORKFLOW_TYPE,
  orderSearchAttributes,
  type OrderState,
} from '../../src/workflows/definitions';
import {
  DEFAULT_ORDER_POLICY,
  orderStartMetadata,
  orderTotal,
  type OrderInput,
  type OrderPolicy,
} from '../../src/workflows/order-types';
import { FakePorts, type FakePortsOptions } from '../harness/fake-ports';
import { createTimeSkippingEnv } from '../harness/temporal';

export interface LogLine {
  level: string;
  message: string;
  attrs: Record<string, unknown>;
}

/** Backoff used by the tests: the defaults, without randomness. */
export const TEST_BACKOFF: BackoffSettings = {
  baseMs: 1_000,
  maxMs: 30_000,
  jitterRatio: 0.25,
  retryAfterCapMs: 60_000,
};

export interface Saga {
  env: TestWorkflowEnvironment;
  bundle: WorkflowBundleWithSourceMap;
}

export async function setUpSaga(): Promise<Saga> {
  const env = await createTimeSkippingEnv();
  const bundle = await bundleWorkflowCode({
    workflowsPath: require.resolve('../../src/workflows/order-fulfillment'),
    logger: { trace() {}, debug() {}, info() {}, warn() {}, error() {}, log() {} },
  });
  return { env, bundle };
}

let queueSeq = 0;

type OrderWorkflow = (input: OrderInput) => Promise<OrderState>;
export type OrderHandle = WorkflowHandleWithFirstExecutionRunId<OrderWorkflow>;

export interface RunContext {
  taskQueue: string;
  fakes: FakePorts;
  /** The breakers in front of the fakes, when the test asked for them. */
  breakers: DownstreamBreakers | null;
  logs: LogLine[];
  /** Starts an order on this test's queue; its id is the workflow id. */
  start: (input: OrderInput) => Promise<OrderHandle>;
}

export interface SagaWorkerOptions {
  fakes?: FakePortsOptions;
  /** Worker options on top of the harness's. */
  worker?: Partial<WorkerOptions>;
  /** Circuit breakers in front of the fakes (true: the defaults for every downstream). */
  breakers?: true | Partial<Record<BreakerName, BreakerSettings>>;
  /** Calls running at once per downstream (its bulkhead size). */
  bulkheads?: Partial<Record<Downstream, number>>;
}

/** Runs `fn` with workers serving fresh fakes; the workers stop when `fn` settles. */
export async function withSagaWorker<T>(
  saga: Saga,
  fn: (ctx: RunContext) => Promise<T>,
  opts: SagaWorkerOptions = {},
): Promise<T> {
  const taskQueue = `saga-${process.pid}-${++queueSeq}`;
  const fakes = new FakePorts(opts.fakes);
  const logs: LogLine[] = [];
  const capture = (level: string) => ({
    fn: (_info: unknown, message: string, attrs?: Record<string, unknown>) =>
      void logs.push({ level, message, attrs: attrs ?? {} }),
  });
  const sinks: InjectedSinks<LoggerSinks> = {
    defaultWorkerLogger: {
      trace: capture('trace'),
      debug: capture('debug'),
      info: capture('info'),
      warn: capture('warn'),
      error: capture('error'),
    },
  };
  const breakers = opts.breakers ? new DownstreamBreakers(opts.breakers === true ? {} : opts.breakers) : null;
  const workers = await createOrderWorkers({
    connection: saga.env.nativeConnection,
    taskQueue,
    workflowBundle: saga.bundle,
    activities: createActivities({
      ports: breakers ? withCircuitBreakers(fakes.ports, breakers) : fakes.ports,
      alerts: fakes.alerts.port,
      backoff: TEST_BACKOFF,
      random: () => 0,
    }),
    ...(opts.bulkheads ? { concurrency: opts.bulkheads } : {}),
    // Cancellation reaches an activity on its next heartbeat: keep that quick in tests.
    common: { sinks, maxHeartbeatThrottleInterval: '100 ms', ...opts.worker },
  });
  const started: { handle: OrderHandle; input: OrderInput }[] = [];
  const start: RunContext['start'] = async (input) => {
    const handle = await saga.env.client.workflow.start<OrderWorkflow>(ORDER_WORKFLOW_TYPE, {
      args: [input],
      taskQueue,
      workflowId: input.orderId,
      typedSearchAttributes: orderSearchAttributes(input),
      ...orderStartMetadata(input),
    });
    started.push({ handle, input });
    return handle;
  };
  return runWorkersUntil(workers, async () => {
    const result = await fn({ taskQueue, fakes, breakers, logs, start });
    await assertLedgersKeepThePromise(started, fakes);
    return result;
  });
}

/**
 * After every saga test, the ledger invariant for every order it started: COMPLETED ⇔ one live
 * shipment, the total captured, the stock committed; any other end ⇒ nothing kept, shipped or
 * reserved; never anything applied twice. Orders a test terminated are left out.
 */
async function assertLedgersKeepThePromise(
  started: { handle: OrderHandle; input: OrderInput }[],
  fakes: FakePorts,
): Promise<void> {
  for (const { handle, input } of started) {
    const { status } = await handle.describe();
    if (status.name === 'TERMINATED' || status.name === 'FAILED') continue;
    const state = status.name === 'COMPLETED' ? await handle.result() : await handle.query(getOrderStateQuery);
    const violations = ledgerViolations({ status: state.status, total: input.total }, fakes.ledgerOf(input.orderId));
    assert.deepEqual(violations, [], `the ledgers of ${input.orderId} (${state.status}) break the invariant`);
  }
}

let orderSeq = 0;

export function orderInput(overrides: { policy?: Partial<OrderPolicy>; items?: OrderInput['items'] } = {}): OrderInput {
  const items = overrides.items ?? [
    { sku: 'SKU-1', quantity: 2, unitPrice: 1_500 },
    { sku: 'SKU-2', quantity: 1, unitPrice: 2_000 },
  ];
  const orderId = `order-${process.pid}-${++orderSeq}`;
  return {
    orderId,
    customer: { id: `cust-${orderSeq}`, email: 'ada@example.com', name: 'Ada' },
    items,
    currency: 'EUR',
    shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Paris', postalCode: '75001', country: 'FR' },
    total: orderTotal(items),
    policy: { ...DEFAULT_ORDER_POLICY, approvers: ['alice', 'bob'], ...overrides.policy },
  };
}

/** Transition lines written through the workflow logger. */
export function transitionLogs(logs: LogLine[]): LogLine[] {
  return logs.filter((l) => l.message === 'order status transition');
}

/** Polls the query until `predicate` holds (workflow time does not move while polling). */
export async function waitForState(
  handle: WorkflowHandle,
  predicate: (s: OrderState) => boolean,
  timeoutMs = 20_000,
): Promise<OrderState> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const state = await handle.query(getOrderStateQuery);
    if (predicate(state)) return state;
    if (Date.now() > deadline)
      throw new Error(`state never matched; last status ${state.status}, step ${state.currentStep}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

/** The reason a workflow update's validator (or handler) refused the update with. */
export async function updateRefusal(p: Promise<unknown>): Promise<string> {
  const err = await p.then(
    () => assert.fail('the update was accepted'),
    (e: unknown) => e,
  );
  assert.ok(err instanceof WorkflowUpdateFailedError, String(err));
  return err.cause?.message ?? '';
}
