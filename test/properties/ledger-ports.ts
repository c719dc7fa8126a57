/**
 * The downstreams of one fault-schedule run, with APPEND-ONLY ledgers: every effect (a
 * reservation, a capture, a refund, a shipment) adds a row carrying the idempotency key it
 * was made under, so "applied twice" is a count, not an overwrite. Idempotency behaves like
 * the reference services: a key seen again returns the stored outcome (business rejections
 * included); a compensation of a key never used voids it. Each call first consumes the next
 * fault scripted for its operation (see `schedule.ts`); `idempotent: false` breaks the key
 * lookup on purpose, to prove the invariants catch a double application.
 */
import {
  AddressRejectedError,
  BusinessRejectionError,
  CircuitOpenError,
  DownstreamTimeoutError,
  DownstreamUnavailableError,
  FraudSuspectedError,
  InsufficientFundsError,
  InvalidRequestError,
  OutOfStockError,
  PaymentDeclinedError,
  RateLimitedError,
} from '../../src/activities/errors';
import type { CallOptions, DownstreamPorts, FraudAssessment } from '../../src/activities/ports';
import type { Carrier } from '../../src/workflows/order-types';
import type { Decline, Fault, Operation, WorldPlan } from './schedule';

export interface ReservationRow {
  reservationId: string;
  key: string;
  orderId: string;
  items: { sku: string; quantity: number }[];
  status: 'reserved' | 'released' | 'committed' | 'voided';
}
export interface ChargeRow {
  chargeId: string;
  key: string;
  orderId: string;
  amount: number;
  status: 'captured' | 'refunded' | 'declined' | 'voided';
}
export interface RefundRow {
  refundId: string;
  key: string;
  captureKey: string;
  orderId: string;
  amount: number;
}
export interface ShipmentRow {
  shipmentId: string;
  key: string;
  orderId: string;
  carrier: string;
  /** `voided`: cancelled before pickup, or a marker for a key voided before any dispatch arrived. */
  status?: 'dispatched' | 'voided';
}

/** What the downstreams hold, in a shape the invariant checker reads (also built by hand in its tests). */
export interface LedgerSnapshot {
  stock: Record<string, number>;
  initialStock: Record<string, number>;
  reservations: ReservationRow[];
  charges: ChargeRow[];
  refunds: RefundRow[];
  shipments: ShipmentRow[];
}

export interface CallRecord {
  op: Operation;
  key: string;
  /** 1-based count of calls of this operation in this world. */
  n: number;
}

type Outcome = { ok: unknown } | { rejected: BusinessRejectionError };

const DECLINES: Record<Decline, new (downstream: string, message: string) => BusinessRejectionError> = {
  PaymentDeclined: PaymentDeclinedError,
  InsufficientFunds: InsufficientFundsError,
  FraudSuspected: FraudSuspectedError,
};

export class LedgerWorld {
  readonly reservations: ReservationRow[] = [];
  readonly charges: ChargeRow[] = [];
  readonly refunds: RefundRow[] = [];
  readonly shipments: ShipmentRow[] = [];
  readonly stock = new Map<string, number>();
  readonly calls: CallRecord[] = [];
  /** Awaited on every call, before its fault: where cancellations are fired from (the call waits until the order took it). */
  onCall: (call: CallRecord, signal: AbortSignal | undefined) => Promise<void> | void = () => undefined;
  private readonly faults: Map<Operation, Fault[]>;
  private readonly outages: Set<Operation>;
  private readonly outcomes = new Map<string, Outcome>();
  private readonly initialStock: Record<string, number>;
  private seq = 0;

  constructor(
    private readonly plan: WorldPlan,
    private readonly options: { idempotent: boolean } = { idempotent: true },
  ) {
    this.initialStock = { ...plan.stock };
    for (const [sku, qty] of Object.entries(plan.stock)) this.stock.set(sku, qty);
    this.faults = new Map(Object.entries(plan.faults).map(([op, list]) => [op as Operation, [...list]]));
    this.outages = new Set(plan.outages);
  }

  /** Every dependency recovers: no outage, no fault left (what an operator waits for before a retry). */
  heal(): void {
    this.faults.clear();
    this.outages.clear();
  }

  snapshot(): LedgerSnapshot {
    return structuredClone({
      stock: Object.fromEntries(this.stock),
      initialStock: this.initialStock,
      reservations: this.reservations,
      charges: this.charges,
      refunds: this.refunds,
      shipments: this.shipments,
    });
  }

  private id(prefix: string): string {
    return `${prefix}_${++this.seq}`;
  }

  /** The call's fault (if any), then its effect under its idempotency key. */
  private async run<T>(
    op: Operation,
    opts: CallOptions,
    effect: () => T,
    /** A later fact that outranks a stored answer (a voided dispatch key): the reference carrier's rule. */
    supersede?: () => void,
  ): Promise<T> {
    const call = { op, key: opts.idempotencyKey, n: this.calls.filter((c) => c.op === op).length + 1 };
    this.calls.push(call);
    await this.onCall(call, opts.signal);
    // The scripted faults come first; an outage starts once they are used up (so a call can take effect just before it).
    const fault = this.faults.get(op)?.shift();
    // The port contract: a cancelled caller gets its own abort reason back, never a downstream error.
    const fail = (err: Error): never => {
      throw opts.signal?.aborted ? (opts.signal.reason as Error) : err;
    };
    if (!fault && this.outages.has(op))
      return fail(new DownstreamUnavailableError(op, `${op} is down (scripted outage)`));
    switch (fault?.kind) {
      case undefined: {
        // It takes effect; an answer that arrives after the caller gave up is never seen.
        const outcome = await this.once(op, opts.idempotencyKey, effect, supersede).catch((err: Error) => fail(err));
        return opts.signal?.aborted ? fail(new Error('aborted')) : outcome;
      }
      case 'unavailable':
        return fail(new DownstreamUnavailableError(op, `${op} answered 503 (scripted)`));
      case 'rateLimited':
        return fail(new RateLimitedError(op, `${op} answered 429 (scripted)`, fault.retryAfterSeconds * 1000));
      case 'timeout':
        return fail(new DownstreamTimeoutError(op, `${op} did not answer (scripted)`));
      case 'breakerOpen':
        return fail(new CircuitOpenError(op, `${op} circuit breaker is open (scripted)`));
      case 'effectThenTimeout':
        // The ambiguous case: it happened downstream, but the answer never came back.
        await this.once(op, opts.idempotencyKey, effect, supersede).catch(() => undefined);
        return fail(new DownstreamTimeoutError(op, `${op} took effect but the answer was lost (scripted)`));
      case 'hang':
        await Promise.race([untilAborted(opts.signal), delay(CLIENT_TIMEOUT_MS)]);
        return fail(new DownstreamTimeoutError(op, `${op} did not answer within the client's timeout (scripted hang)`));
      case 'stall':
        return untilAborted(opts.signal);
    }
  }

  /** The stored outcome of `key`, or a new one: the services' UNIQUE (scope, key). */
  private async once<T>(op: Operation, key: string, effect: () => T, supersede?: () => void): Promise<T> {
    supersede?.();
    const scoped = `${op}|${key}`;
    const seen = this.options.idempotent ? this.outcomes.get(scoped) : undefined;
    let outcome: Outcome;
    if (seen) outcome = seen;
    else {
      try {
        outcome = { ok: effect() };
      } catch (err) {
        if (!(err instanceof BusinessRejectionError)) throw err;
        outcome = { rejected: err };
      }
      this.outcomes.set(scoped, outcome);
    }
    await Promise.resolve();
    if ('rejected' in outcome) throw outcome.rejected;
    return structuredClone(outcome.ok) as T;
  }

  private shipment(carrier: string, key: string): ShipmentRow | undefined {
    return this.shipments.find((s) => s.carrier === carrier && s.key === key);
  }

  private reservation(key: string): ReservationRow | undefined {
    return this.reservations.find((r) => r.key === key);
  }

  private scorer(scorer: FraudAssessment['scorer']): DownstreamPorts['fraudModel'] {
    return {
      score: (_req, opts) =>
        this.run(scorer === 'model' ? 'fraudModel.score' : 'fraudRules.score', opts, () => ({
          score: this.plan.fraudScore,
          reasons: ['scripted score'],
          scorer,
        })),
    };
  }

  private carrier(name: Carrier): DownstreamPorts['primaryCarrier'] {
    return {
      name,
      dispatch: (req, opts) => {
        const voided = () => {
          if (this.shipment(name, opts.idempotencyKey)?.status === 'voided')
            throw new InvalidRequestError(name, 'dispatch key was voided');
        };
        return this.run(
          `${name}.dispatch`,
          opts,
          () => {
            if (this.plan.addressRejected) throw new AddressRejectedError(name, 'undeliverable address (scripted)');
            const row: ShipmentRow = {
              shipmentId: this.id(`shp_${name}`),
              key: opts.idempotencyKey,
              orderId: req.orderId,
              carrier: name,
              status: 'dispatched',
            };
            this.shipments.push(row);
            return { shipmentId: row.shipmentId, trackingNumber: `TRK-${row.shipmentId}`, carrier: name };
          },
          voided,
        );
      },
      // Faulted on its own: a carrier's void can fail while its dispatch answers, and the other way round.
      voidShipment: (req, opts) =>
        this.run(`${name}.voidShipment`, opts, () => {
          const row = this.shipment(name, req.shipmentKey);
          if (!row) {
            this.shipments.push({
              shipmentId: this.id(`void_${name}`),
              key: req.shipmentKey,
              orderId: req.orderId,
              carrier: name,
              status: 'voided',
            });
            return { status: 'not_found' as const, id: null };
          }
          row.status = 'voided';
          return { status: 'voided' as const, id: row.shipmentId };
        }),
    };
  }

  readonly ports: DownstreamPorts = {
    inventory: {
      reserve: (req, opts) =>
        this.run('inventory.reserve', opts, () => {
          if (this.reservation(opts.idempotencyKey)?.status === 'voided')
            throw new InvalidRequestError('inventory', 'reservation key was voided by a release');
          const short = req.items.find((i) => (this.stock.get(i.sku) ?? 0) < i.quantity);
          if (short) throw new OutOfStockError('inventory', `not enough ${short.sku}`);
          for (const i of req.items) this.stock.set(i.sku, (this.stock.get(i.sku) ?? 0) - i.quantity);
          const row: ReservationRow = {
            reservationId: this.id('res'),
            key: opts.idempotencyKey,
            orderId: req.orderId,
            items: req.items.map((i) => ({ sku: i.sku, quantity: i.quantity })),
            status: 'reserved',
          };
          this.reservations.push(row);
          return { reservationId: row.reservationId, status: 'reserved' as const };
        }),
      release: (req, opts) =>
        this.run('inventory.release', opts, () => {
          const row = this.reservation(req.reservationKey);
          if (!row) {
            this.reservations.push({
              reservationId: this.id('res'),
              key: req.reservationKey,
              orderId: req.orderId,
              items: [],
              status: 'voided',
            });
            return { status: 'not_found' as const, id: null };
          }
          if (row.status === 'committed')
            throw new InvalidRequestError('inventory', `reservation ${row.reservationId} is committed`);
          if (row.status === 'reserved') {
            for (const i of row.items) this.stock.set(i.sku, (this.stock.get(i.sku) ?? 0) + i.quantity);
            row.status = 'released';
          }
          return row.status === 'released'
            ? { status: 'released' as const, id: row.reservationId }
            : { status: 'not_found' as const, id: null };
        }),
      commit: (req, opts) =>
        this.run('inventory.commit', opts, () => {
          const row = this.reservation(req.reservationKey);
          if (!row || (row.status !== 'reserved' && row.status !== 'committed'))
            throw new InvalidRequestError('inventory', `no open reservation for ${req.reservationKey}`);
          row.status = 'committed';
          return { reservationId: row.reservationId, status: 'committed' as const };
        }),
    },
    payments: {
      capture: (req, opts) =>
        this.run('payments.capture', opts, () => {
          if (this.charges.some((c) => c.key === opts.idempotencyKey && c.status === 'voided'))
            throw new InvalidRequestError('payments', 'capture key was voided by a refund');
          const decline = this.plan.decline;
          const row: ChargeRow = {
            chargeId: this.id('ch'),
            key: opts.idempotencyKey,
            orderId: req.orderId,
            amount: req.amount,
            status: decline ? 'declined' : 'captured',
          };
          this.charges.push(row);
          if (decline) throw new DECLINES[decline]('payments', `${decline} (scripted)`);
          return { chargeId: row.chargeId, amount: row.amount, currency: req.currency, status: 'captured' as const };
        }),
      refund: (req, opts) =>
        this.run('payments.refund', opts, () => {
          const charge = this.charges.find((c) => c.key === req.captureKey && c.status !== 'voided');
          if (!charge) {
            this.charges.push({
              chargeId: this.id('ch'),
              key: req.captureKey,
              orderId: req.orderId,
              amount: 0,
              status: 'voided',
            });
            return { status: 'not_found' as const, id: null };
          }
          if (charge.status === 'declined') return { status: 'not_found' as const, id: null };
          const earlier = this.refunds.find((r) => r.captureKey === req.captureKey);
          // A second refund of one capture answers the first (the reference service's rule), unless broken on purpose.
          if (earlier && this.options.idempotent) return { status: 'refunded' as const, id: earlier.refundId };
          charge.status = 'refunded';
          const row: RefundRow = {
            refundId: this.id('rf'),
            key: opts.idempotencyKey,
            captureKey: req.captureKey,
            orderId: req.orderId,
            amount: charge.amount,
          };
          this.refunds.push(row);
          return { status: 'refunded' as const, id: row.refundId };
        }),
    },
    primaryCarrier: this.carrier('primaryCarrier'),
    backupCarrier: this.carrier('backupCarrier'),
    fraudModel: this.scorer('model'),
    fraudRules: this.scorer('rules'),
    notifications: {
      send: (_req, opts) =>
        this.run('notifications.send', opts, () => ({ notificationId: `ntf_${opts.idempotencyKey}` })),
    },
  };
}

/** Real time a scripted hang lasts before "the client's timeout" fires: long enough for a cancellation to race it. */
const CLIENT_TIMEOUT_MS = 50;

const delay = (ms: number) => new Promise<void>((resolve) => setTimeout(resolve, ms));

function untilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    const abort = () =>
      reject(
        signal?.reason instanceof Error ? signal.reason : Object.assign(new Error('aborted'), { name: 'AbortError' }),
      );
    if (signal?.aborted) abort();
    signal?.addEventListener('abort', abort, { once: true });
  });
}
