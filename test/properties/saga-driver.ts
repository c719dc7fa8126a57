/**
 * Runs one order through its fault schedule on the time-skipping server and reports what it
 * left behind. One worker serves every run; each run's downstreams are a fresh LedgerWorld,
 * found by order id, so a call still in flight from an earlier run can never touch this one.
 *
 * Workflow time only moves when the driver sleeps (`env.sleep`), in short ticks, so the driver
 * sees every status the order passes through long enough to act like a person would: decide an
 * approval after some hours, or heal the downstreams and retry an order parked in NEEDS_ATTENTION.
 */
import { WorkflowUpdateFailedError, WorkflowUpdateStage } from '@temporalio/client';
import type { TestWorkflowEnvironment } from '@temporalio/testing';
import type { WorkflowBundleWithSourceMap } from '@temporalio/worker';
import { createOrderWorkers } from '../../src/temporal/workers';
import { createActivities } from '../../src/activities';
import { drainDeadLetters } from '../../src/api/dead-letters';
import type { OrderSummary } from '../../src/api/orders-gateway';
import type { DownstreamPorts } from '../../src/activities/ports';
import {
  cancelOrderUpdate,
  decideApprovalUpdate,
  type CancelRequest,
  getOrderStateQuery,
  ORDER_WORKFLOW_TYPE,
  orderSearchAttributes,
  retryParkedOrderUpdate,
  type OrderState,
} from '../../src/workflows/definitions';
import { isTerminal } from '../../src/workflows/order-status';
import { OrderStatus } from '../../src/workflows/order-status';
import { DEFAULT_ORDER_POLICY, orderTotal, type OrderInput } from '../../src/workflows/order-types';
import { TEST_BACKOFF } from '../saga/harness';
import { ledgerViolations, parkedViolations, transitionViolations } from './invariants';
import { LedgerWorld, type CallRecord, type LedgerSnapshot } from './ledger-ports';
import { calmSchedule, type OperatorAction, type Schedule } from './schedule';

const HOUR = 3_600_000;
/** Workflow time per tick while the order is busy: shorter than any retry delay the activities ask for. */
const BUSY_TICK_MS = 5_000;
/** Enough ticks for the longest plausible route (auto-reject at 72 h, a compensation's 20 attempts, two parks). */
const MAX_TICKS = 1_500;
/** Real time one run may take: stalls cost up to 30 s each, everything else skips time. */
const RUN_DEADLINE_MS = 120_000;
/** Longest real wait for an accepted cancellation to reach the call in flight (heartbeats carry it). */
const CANCEL_REACHES_CALL_MS = 5_000;
/** An order still parked after this many operator moves on healed downstreams is stuck. */
const MAX_OPERATOR_RETRIES = 3;

export interface RunReport {
  state: OrderState;
  ledger: LedgerSnapshot;
  violations: string[];
  /** The statuses in which the driver found the order parked (before its retries). */
  parkedFrom: OrderStatus[];
  /** What the operator did at each park. */
  actions: OperatorAction[];
  /** Every call the downstreams received, in order. */
  calls: readonly CallRecord[];
  /** Driver ticks the run took (each one query and one sleep). */
  ticks: number;
}

export interface RunOptions {
  /** false: the downstreams ignore idempotency keys (to prove the invariants catch it). */
  idempotent?: boolean;
  /** Workflow time per tick while the order is busy. */
  busyTickMs?: number;
}

export interface PropertyRig {
  run(schedule: Schedule, options?: RunOptions): Promise<RunReport>;
  /** Stops the worker (the caller tears the environment down). */
  close(): Promise<void>;
}

/** Ports that hand each call to the world of the order it is about. */
function routingPorts(worlds: Map<string, LedgerWorld>): DownstreamPorts {
  const of = (orderId: string): DownstreamPorts => {
    const world = worlds.get(orderId);
    if (!world) throw new Error(`no fault world for order ${orderId}`);
    return world.ports;
  };
  return {
    inventory: {
      reserve: (r, o) => of(r.orderId).inventory.reserve(r, o),
      release: (r, o) => of(r.orderId).inventory.release(r, o),
      commit: (r, o) => of(r.orderId).inventory.commit(r, o),
    },
    payments: {
      capture: (r, o) => of(r.orderId).payments.capture(r, o),
      refund: (r, o) => of(r.orderId).payments.refund(r, o),
    },
    primaryCarrier: {
      name: 'primaryCarrier',
      dispatch: (r, o) => of(r.orderId).primaryCarrier.dispatch(r, o),
      voidShipment: (r, o) => of(r.orderId).primaryCarrier.voidShipment(r, o),
    },
    backupCarrier: {
      name: 'backupCarrier',
      dispatch: (r, o) => of(r.orderId).backupCarrier.dispatch(r, o),
      voidShipment: (r, o) => of(r.orderId).backupCarrier.voidShipment(r, o),
    },
    fraudModel: { score: (r, o) => of(r.orderId).fraudModel.score(r, o) },
    fraudRules: { score: (r, o) => of(r.orderId).fraudRules.score(r, o) },
    notifications: { send: (r, o) => of(r.orderId).notifications.send(r, o) },
  };
}

function abortedWithin(signal: AbortSignal, ms: number): Promise<void> {
  return new Promise((resolve) => {
    if (signal.aborted) return resolve();
    const timer = setTimeout(resolve, ms);
    signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
  });
}

let orderSeq = 0;

function orderFor(schedule: Schedule): OrderInput {
  const total = orderTotal(schedule.items);
  const orderId = `prop-${process.pid}-${++orderSeq}`;
  return {
    orderId,
    customer: { id: `cust-${orderSeq}`, email: 'ada@example.com' },
    items: schedule.items,
    currency: 'EUR',
    shippingAddress: { name: 'Ada', line1: '1 Main St', city: 'Paris', postalCode: '75001', country: 'FR' },
    total,
    policy: {
      ...DEFAULT_ORDER_POLICY,
      approvalThreshold: schedule.aboveApprovalThreshold ? total - 1 : 1_000_000,
      approvers: ['alice'],
    },
  };
}

export async function createPropertyRig(
  env: TestWorkflowEnvironment,
  bundle: WorkflowBundleWithSourceMap,
): Promise<PropertyRig> {
  const worlds = new Map<string, LedgerWorld>();
  const taskQueue = `fault-schedules-${process.pid}`;
  const activities = createActivities({ ports: routingPorts(worlds), backoff: TEST_BACKOFF, random: () => 0.5 });
  // The worker set as in production: the workflows and every activity, inside its bulkhead.
  const [worker] = await createOrderWorkers({
    connection: env.nativeConnection,
    taskQueue,
    workflowBundle: bundle,
    activities,
    // Cancellation and timeouts reach a hanging call on its next heartbeat: keep that quick.
    common: { maxHeartbeatThrottleInterval: '100 ms' },
  });
  const running = worker!.run();
  const warmUp = await run(calmSchedule(), { busyTickMs: 100 });
  if (warmUp.violations.length > 0)
    throw new Error(`the warm-up order broke invariants: ${warmUp.violations.join('; ')}`);

  async function run(schedule: Schedule, options: RunOptions = {}): Promise<RunReport> {
    const input = orderFor(schedule);
    const world = new LedgerWorld(schedule.world, { idempotent: options.idempotent ?? true });
    worlds.set(input.orderId, world);
    const handle = await env.client.workflow.start<(input: OrderInput) => Promise<OrderState>>(ORDER_WORKFLOW_TYPE, {
      args: [input],
      taskQueue,
      workflowId: input.orderId,
      typedSearchAttributes: orderSearchAttributes(input),
    });
    // Refusals (a cancellation after dispatch, a decision after the order moved on) are legitimate answers.
    const inFlight: Promise<unknown>[] = [];
    const send = (p: Promise<unknown>) => {
      const settled = p.catch(() => undefined);
      inFlight.push(settled);
      return settled;
    };
    let cancelled = false;
    /**
     * A cancel point means "the customer cancels while this call is in flight": the call waits
     * until the order has accepted (or refused) the cancellation and, when accepted, until the
     * cancellation has reached the call (bounded), then meets its scripted fault. (Letting the
     * call fail first is a race the time-skipping server mishandles: an activity whose attempt
     * fails after its cancellation was requested is never closed there, unlike on a real server.)
     */
    const cancel = async (signal?: AbortSignal) => {
      if (cancelled) return;
      cancelled = true;
      const args: [CancelRequest] = [{ reason: 'changed my mind', requestedBy: 'customer' }];
      const accepted = await handle
        .startUpdate(cancelOrderUpdate, { args, waitForStage: WorkflowUpdateStage.ACCEPTED })
        .then(
          (update) => (void send(update.result()), true),
          () => false,
        );
      if (accepted && signal) await abortedWithin(signal, CANCEL_REACHES_CALL_MS);
    };
    const point = schedule.cancel;
    world.onCall = (call, signal) =>
      point && point.on === call.op && point.call === call.n ? cancel(signal) : undefined;

    const startedAt = Date.now();
    const deadline = startedAt + RUN_DEADLINE_MS;
    const violations: string[] = [];
    const parkedFrom: OrderStatus[] = [];
    let awaitingSince: number | null = null;
    let decided = false;
    let operating: Promise<unknown> | null = null;
    const actions: OperatorAction[] = [];
    const retry = (reason: string) =>
      handle.executeUpdate(retryParkedOrderUpdate, { args: [{ operator: 'ops', reason }] });
    /** The operator's move at a park; a refused cancellation (after dispatch, or of an undo) is followed by a retry. */
    const operate = async (action: OperatorAction, parked: OrderState): Promise<unknown> => {
      switch (action) {
        case 'retryTooEarly':
          return retry('trying again before the downstreams are back');
        case 'retry':
          world.heal();
          return retry('downstreams recovered');
        case 'cancel': {
          const cancelled = await handle
            .executeUpdate(cancelOrderUpdate, { args: [{ reason: 'parked too long', requestedBy: 'ops' }] })
            .then(
              () => true,
              (err: unknown) => {
                if (!(err instanceof WorkflowUpdateFailedError)) throw err;
                return false;
              },
            );
          if (cancelled) return;
          world.heal();
          return retry(`cancellation refused (parked on ${parked.parked?.step ?? 'an undo'}); retrying`);
        }
        case 'drain': {
          world.heal();
          // The API's drain, with the listing answered for this order (the test server has no visibility queries).
          const report = await drainDeadLetters(
            {
              listOrders: () =>
                Promise.resolve({ orders: [{ orderId: input.orderId } as OrderSummary], nextPageToken: null }),
              retryParkedOrder: async (orderId, request) => {
                await env.client.workflow
                  .getHandle(orderId)
                  .startUpdate(retryParkedOrderUpdate, { args: [request], waitForStage: WorkflowUpdateStage.ACCEPTED });
              },
            },
            { operator: 'ops', reason: 'draining dead letters' },
            10,
          );
          if (report.retried !== 1)
            violations.push(`the drain did not retry the parked order: ${JSON.stringify(report)}`);
          return;
        }
      }
    };
    let state = await handle.query(getOrderStateQuery);
    let tick = 0;
    for (; !isTerminal(state.status); tick++) {
      if (tick >= MAX_TICKS || Date.now() > deadline) {
        violations.push(
          `stuck: still ${state.status} (step ${state.currentStep ?? '-'}) after ${tick} ticks, ${Math.round((Date.now() - startedAt) / 1000)} s`,
        );
        break;
      }
      let sleepMs = options.busyTickMs ?? BUSY_TICK_MS;
      // A park not yet handled: the count of moves into NEEDS_ATTENTION went up.
      const parks = state.transitions.filter((t) => t.to === OrderStatus.NEEDS_ATTENTION).length;
      if (state.status === OrderStatus.NEEDS_ATTENTION && !operating && parks > parkedFrom.length) {
        violations.push(...parkedViolations(state));
        parkedFrom.push(state.parked?.from ?? state.status);
        const healedRetries = actions.filter((a) => a !== 'retryTooEarly').length;
        if (healedRetries >= MAX_OPERATOR_RETRIES) {
          violations.push(
            `still parked after ${healedRetries} operator moves on healed downstreams: ${state.parked?.reason ?? '?'}`,
          );
          break;
        }
        const action = schedule.operator[parkedFrom.length - 1] ?? 'retry';
        actions.push(action);
        operating = send(operate(action, state)).then(() => (operating = null));
      }
      if (state.status === OrderStatus.AWAITING_APPROVAL) {
        const now = await env.currentTimeMs();
        awaitingSince ??= now;
        if (point?.on === 'awaitingApproval') await cancel();
        else if (
          schedule.approval.decision !== 'none' &&
          !decided &&
          now - awaitingSince >= schedule.approval.afterHours * HOUR
        ) {
          decided = true;
          void send(
            handle.executeUpdate(decideApprovalUpdate, {
              args: [{ decision: schedule.approval.decision, approver: 'alice' }],
            }),
          );
        } else if (!decided && !cancelled) sleepMs = HOUR;
      }
      await env.sleep(sleepMs);
      state = await handle.query(getOrderStateQuery);
    }
    // Terminal is not closed: non-critical work (the customer's mail) may still be on its way.
    for (; isTerminal(state.status) && (await handle.describe()).status.name === 'RUNNING'; tick++) {
      if (Date.now() > deadline) {
        violations.push(`${state.status} but the workflow never closed (step ${state.currentStep ?? '-'})`);
        break;
      }
      await env.sleep(options.busyTickMs ?? BUSY_TICK_MS);
    }
    if (isTerminal(state.status) && violations.length === 0) {
      await Promise.all(inFlight);
      state = await handle.result();
    } else {
      // A run that failed its bound must not keep a workflow busy behind the next runs.
      await handle.terminate('fault-schedule run abandoned').catch(() => undefined);
      await Promise.race([Promise.all(inFlight), new Promise((resolve) => setTimeout(resolve, 5_000))]);
    }
    worlds.delete(input.orderId);
    const ledger = world.snapshot();
    violations.push(
      ...transitionViolations(state),
      ...ledgerViolations({ orderId: input.orderId, status: state.status, total: input.total }, ledger),
    );
    return { state, ledger, violations, parkedFrom, actions, calls: world.calls, ticks: tick };
  }

  return {
    run,
    close: async () => {
      worker!.shutdown();
      await running;
    },
  };
}
