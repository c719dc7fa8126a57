/**
 * A fault schedule: everything that happens to one order in one run, drawn by fast-check.
 * Per downstream operation, the faults its next calls meet (then it answers normally), or an
 * outage that outlasts any retry budget; the business answers (stock, fraud score, a decline,
 * an undeliverable address); when the customer cancels; and what the approvers do.
 */
import fc from 'fast-check';
import type { ActivityOptions } from '@temporalio/workflow';
import { ActivityPolicies } from '../../src/workflows/downstreams';

/** The calls that change a ledger: forward steps, their undos and the void. */
export const EFFECTFUL_OPERATIONS = [
  'inventory.reserve',
  'inventory.release',
  'inventory.commit',
  'payments.capture',
  'payments.refund',
  'primaryCarrier.dispatch',
  'primaryCarrier.voidShipment',
  'backupCarrier.dispatch',
] as const;

export const OPERATIONS = [
  ...EFFECTFUL_OPERATIONS,
  'backupCarrier.voidShipment',
  'fraudModel.score',
  'fraudRules.score',
  'notifications.send',
] as const;
export type Operation = (typeof OPERATIONS)[number];

/** The policy each operation's activity runs under (`src/workflows/downstreams.ts`). */
const POLICY_OF: Record<Operation, ActivityOptions> = {
  'inventory.reserve': ActivityPolicies.inventory,
  'inventory.release': ActivityPolicies.compensation,
  'inventory.commit': ActivityPolicies.inventory,
  'payments.capture': ActivityPolicies.payments,
  'payments.refund': ActivityPolicies.compensation,
  'primaryCarrier.dispatch': ActivityPolicies.primaryCarrier,
  'primaryCarrier.voidShipment': ActivityPolicies.voidShipment,
  'backupCarrier.dispatch': ActivityPolicies.backupCarrier,
  'backupCarrier.voidShipment': ActivityPolicies.voidShipment,
  'fraudModel.score': ActivityPolicies.fraudModel,
  'fraudRules.score': ActivityPolicies.fraudRules,
  'notifications.send': ActivityPolicies.notifications,
};

/** How many attempts the operation's step gets: this many faults in a row run it out of retries. */
export function retryBudget(op: Operation): number {
  return POLICY_OF[op].retry?.maximumAttempts ?? Infinity;
}

export type Fault =
  /** 503: no effect. */
  | { kind: 'unavailable' }
  /** 429 with Retry-After. */
  | { kind: 'rateLimited'; retryAfterSeconds: number }
  /** The client's timeout, before the request took effect. */
  | { kind: 'timeout' }
  /** Took effect downstream, but the answer was lost: only idempotency keys make the retry safe. */
  | { kind: 'effectThenTimeout' }
  /** The downstream's circuit breaker is open: the call fails fast without reaching it. */
  | { kind: 'breakerOpen' }
  /** Hangs until the client's own timeout ends it (a cancellation arriving meanwhile aborts it). */
  | { kind: 'hang' }
  /** Never answers, and the client's timeout fails too: only the activity's start-to-close (or a cancellation) ends it. */
  | { kind: 'stall' };

/**
 * What the operator does when the order parks (the i-th park takes the i-th action; later parks
 * get `retry`): retry once the downstreams have recovered; retry before they have (the order
 * parks again); cancel the order (refused after dispatch, and then retried); or drain every
 * dead letter through the API's drain (`src/api/dead-letters.ts`) once they have recovered.
 */
export type OperatorAction = 'retry' | 'retryTooEarly' | 'cancel' | 'drain';
export const OPERATOR_ACTIONS: readonly OperatorAction[] = ['retry', 'retryTooEarly', 'cancel', 'drain'];

export type Decline = 'PaymentDeclined' | 'InsufficientFunds' | 'FraudSuspected';

export interface WorldPlan {
  stock: Record<string, number>;
  faults: Partial<Record<Operation, Fault[]>>;
  /** Down, once its scripted faults are used up, for every call until an operator's retry (the world heals first). */
  outages: Operation[];
  fraudScore: number;
  decline: Decline | null;
  addressRejected: boolean;
}

/** Fire the customer's cancellation on the n-th call of an operation, or once the order awaits approval. */
export type CancelPoint = { on: Operation; call: number } | { on: 'awaitingApproval' };

export interface Schedule {
  world: WorldPlan;
  items: { sku: string; quantity: number; unitPrice: number }[];
  /** When true the order's total is above its approval threshold. */
  aboveApprovalThreshold: boolean;
  /** What the approvers do once the order waits for them (`none`: escalation, then auto-reject at 72 h). */
  approval: { decision: 'approve' | 'reject' | 'none'; afterHours: number };
  cancel: CancelPoint | null;
  /** What the operator does at each park, in turn. */
  operator: OperatorAction[];
}

export const SKUS = ['SKU-A', 'SKU-B'] as const;

const fault: fc.Arbitrary<Fault> = fc.oneof(
  { weight: 4, arbitrary: fc.constant({ kind: 'unavailable' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'breakerOpen' as const }) },
  {
    weight: 3,
    arbitrary: fc
      .integer({ min: 1, max: 90 })
      .map((retryAfterSeconds) => ({ kind: 'rateLimited' as const, retryAfterSeconds })),
  },
  { weight: 2, arbitrary: fc.constant({ kind: 'timeout' as const }) },
  { weight: 3, arbitrary: fc.constant({ kind: 'effectThenTimeout' as const }) },
  { weight: 2, arbitrary: fc.constant({ kind: 'hang' as const }) },
);

/**
 * A stall costs real seconds (the test server cannot skip time while an activity runs), so at
 * most one per schedule, and rarely: it is prepended to that operation's faults.
 */
const stall: fc.Arbitrary<Operation | null> = fc.oneof(
  { weight: 19, arbitrary: fc.constant(null) },
  { weight: 1, arbitrary: fc.constantFrom(...OPERATIONS) },
);

/**
 * Mostly healthy operations; some meet a short burst of mixed faults, some a run of one fault as
 * long as their whole retry budget or longer (the step gives out and the order parks, or takes
 * its alternative, while the downstream is not even down).
 */
const faultsPerOperation: fc.Arbitrary<Partial<Record<Operation, Fault[]>>> = fc
  .tuple(
    ...OPERATIONS.map((op) =>
      fc.oneof(
        { weight: 6, arbitrary: fc.constant<Fault[]>([]) },
        { weight: 3, arbitrary: fc.array(fault, { minLength: 1, maxLength: 3 }) },
        {
          weight: 1,
          arbitrary: fc
            .tuple(fault, fc.integer({ min: retryBudget(op) - 1, max: retryBudget(op) + 1 }))
            .map(([f, times]) => Array.from({ length: times }, () => f)),
        },
      ),
    ),
  )
  .map(
    (lists) =>
      Object.fromEntries(OPERATIONS.map((op, i) => [op, lists[i]!]).filter(([, list]) => list!.length > 0)) as Partial<
        Record<Operation, Fault[]>
      >,
  );

/** Usually nothing is down; sometimes one or two operations stay down past their budget. */
const outages: fc.Arbitrary<Operation[]> = fc.oneof(
  { weight: 1, arbitrary: fc.constant<Operation[]>([]) },
  { weight: 1, arbitrary: fc.uniqueArray(fc.constantFrom(...OPERATIONS), { minLength: 1, maxLength: 2 }) },
);

const cancelPoint: fc.Arbitrary<CancelPoint | null> = fc.oneof(
  { weight: 4, arbitrary: fc.constant(null) },
  { weight: 3, arbitrary: fc.record({ on: fc.constantFrom(...OPERATIONS), call: fc.integer({ min: 1, max: 2 }) }) },
  { weight: 1, arbitrary: fc.constant({ on: 'awaitingApproval' as const }) },
);

export const scheduleArbitrary: fc.Arbitrary<Schedule> = fc
  .record({
    quantities: fc.tuple(fc.integer({ min: 1, max: 3 }), fc.integer({ min: 0, max: 2 })),
    outOfStock: fc.oneof({ weight: 7, arbitrary: fc.constant(false) }, { weight: 1, arbitrary: fc.constant(true) }),
    faults: faultsPerOperation,
    outages,
    fraudScore: fc.oneof(
      { weight: 6, arbitrary: fc.constant(0.1) },
      { weight: 2, arbitrary: fc.constant(0.7) },
      { weight: 1, arbitrary: fc.constant(0.9) },
    ),
    decline: fc.oneof(
      { weight: 6, arbitrary: fc.constant(null) },
      { weight: 1, arbitrary: fc.constantFrom<Decline>('PaymentDeclined', 'InsufficientFunds', 'FraudSuspected') },
    ),
    addressRejected: fc.oneof(
      { weight: 8, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
    aboveApprovalThreshold: fc.oneof(
      { weight: 3, arbitrary: fc.constant(false) },
      { weight: 1, arbitrary: fc.constant(true) },
    ),
    approval: fc.record({
      decision: fc.constantFrom('approve' as const, 'reject' as const, 'none' as const),
      afterHours: fc.constantFrom(0, 2, 30),
    }),
    cancel: cancelPoint,
    stall,
    operator: fc.array(fc.constantFrom(...OPERATOR_ACTIONS), { maxLength: 3 }),
  })
  .map(
    ({
      quantities: [a, b],
      outOfStock,
      faults: planned,
      stall,
      outages,
      fraudScore,
      decline,
      addressRejected,
      aboveApprovalThreshold,
      approval,
      cancel,
      operator,
    }) => {
      const faults = stall ? { ...planned, [stall]: [{ kind: 'stall' as const }, ...(planned[stall] ?? [])] } : planned;
      const items = [
        { sku: SKUS[0], quantity: a, unitPrice: 1_500 },
        ...(b > 0 ? [{ sku: SKUS[1], quantity: b, unitPrice: 2_000 }] : []),
      ];
      return {
        world: {
          stock: { [SKUS[0]]: outOfStock ? a - 1 : 10, [SKUS[1]]: 10 },
          faults,
          outages,
          fraudScore,
          decline,
          addressRejected,
        },
        items,
        aboveApprovalThreshold,
        approval,
        cancel,
        operator,
      };
    },
  );

/** A schedule where nothing goes wrong, to build the named routes below from. */
export function calmSchedule(
  overrides: { world?: Partial<WorldPlan> } & Partial<Omit<Schedule, 'world'>> = {},
): Schedule {
  const { world, ...rest } = overrides;
  return {
    world: {
      stock: { [SKUS[0]]: 10, [SKUS[1]]: 10 },
      faults: {},
      outages: [],
      fraudScore: 0.1,
      decline: null,
      addressRejected: false,
      ...world,
    },
    items: [{ sku: SKUS[0], quantity: 1, unitPrice: 1_500 }],
    aboveApprovalThreshold: false,
    approval: { decision: 'none', afterHours: 0 },
    cancel: null,
    operator: [],
    ...rest,
  };
}

const times = (n: number, f: Fault): Fault[] => Array.from({ length: n }, () => f);

/** Routes every run checks first, whatever the seed draws: the ones a random draw reaches rarely. */
export const NAMED_ROUTES: Record<string, Schedule> = {
  'a primary dispatch lands unanswered and is voided, the backup is down: the retry ships with the backup':
    calmSchedule({
      world: {
        faults: {
          'primaryCarrier.dispatch': [{ kind: 'effectThenTimeout' }, ...times(9, { kind: 'timeout' })],
        },
        outages: ['backupCarrier.dispatch'],
      },
    }),
  'the primary only answers 503, its key is voided, the backup is down: the retry ships with the backup': calmSchedule({
    world: { outages: ['primaryCarrier.dispatch', 'backupCarrier.dispatch'] },
  }),
  'a void lands but its answer is lost every time: the order parks, the retry finishes the void': calmSchedule({
    world: {
      faults: {
        'primaryCarrier.dispatch': [{ kind: 'effectThenTimeout' }, ...times(9, { kind: 'timeout' })],
        'primaryCarrier.voidShipment': times(8, { kind: 'effectThenTimeout' }),
      },
    },
  }),
  'refunds lose their answers while the order is cancelled, an operator retries too early, then again': calmSchedule({
    world: { faults: { 'payments.refund': times(45, { kind: 'effectThenTimeout' }) }, addressRejected: true },
    operator: ['retryTooEarly', 'retry'],
  }),
  'a capture is down past its budget: the operator cancels the parked order': calmSchedule({
    world: { outages: ['payments.capture'] },
    operator: ['cancel'],
  }),
  'a dispatch takes effect, its answer is lost, then the carrier stays down past the retry budget': calmSchedule({
    world: {
      faults: { 'primaryCarrier.dispatch': [{ kind: 'effectThenTimeout' }] },
      outages: ['primaryCarrier.dispatch'],
    },
  }),
  'a capture takes effect, its answer is lost, and the customer cancels during the retry': calmSchedule({
    world: { faults: { 'payments.capture': [{ kind: 'effectThenTimeout' }] } },
    cancel: { on: 'payments.capture', call: 2 },
  }),
  'an approver rejects while inventory releases are down: parked, then retried by an operator': calmSchedule({
    world: { outages: ['inventory.release'] },
    aboveApprovalThreshold: true,
    approval: { decision: 'reject', afterHours: 2 },
  }),
  'a lost capture answer, an undeliverable address and refunds down: parked with the charge, then refunded':
    calmSchedule({
      world: {
        faults: { 'payments.capture': [{ kind: 'effectThenTimeout' }] },
        outages: ['payments.refund'],
        addressRejected: true,
      },
    }),
  'nobody decides and the escalation page cannot be sent: auto-rejected at 72 h': calmSchedule({
    world: { outages: ['notifications.send'] },
    aboveApprovalThreshold: true,
  }),
};

/** One line per schedule, for failure reports. */
export function describeSchedule(s: Schedule): string {
  return JSON.stringify(s);
}
