/**
 * In-memory downstreams that behave like the reference services where the saga can tell:
 * ledgers with stock, reservations, charges, refunds, shipments and notifications; an
 * idempotency key seen again returns the original result (the UNIQUE constraint); compensations
 * address the forward step's key and are no-ops when it never took effect. Every operation is
 * scriptable: fail N times, answer 429 with a Retry-After, hang until aborted, or take effect
 * and then hang (the "response lost" case).
 */
import type { AlertsPort, OrderAlert } from '../../src/activities/ports';
import { InvalidRequestError, OutOfStockError, RateLimitedError } from '../../src/activities/errors';
import type { OrderLedger } from '../../src/services/ledger-invariant';
import type { Carrier } from '../../src/workflows/order-types';
import type {
  CallOptions,
  Charge,
  CompensationResult,
  DownstreamPorts,
  FraudAssessment,
  Reservation,
  Shipment,
} from '../../src/activities/ports';

export type Operation =
  | 'inventory.reserve'
  | 'inventory.release'
  | 'inventory.commit'
  | 'payments.capture'
  | 'payments.refund'
  | 'primaryCarrier.dispatch'
  | 'backupCarrier.dispatch'
  | 'primaryCarrier.voidShipment'
  | 'backupCarrier.voidShipment'
  | 'fraudModel.score'
  | 'fraudRules.score'
  | 'notifications.send'
  | 'alerts.raise';

type Fault =
  | { kind: 'error'; error: () => Error }
  | { kind: 'effect-then-error'; error: () => Error }
  /** Hangs before taking effect, until the call is aborted. */
  | { kind: 'hang' }
  /** Takes effect, then hangs until aborted: the caller never learns it succeeded. */
  | { kind: 'effect-then-hang' }
  /** Waits for `open` (or abort), then proceeds normally. */
  | { kind: 'gate'; opened: Promise<void> };

export interface CallRecord {
  op: Operation;
  key: string;
  /** From the clock given to FakePorts (workflow-scheduled time in saga tests). */
  at: number;
}

export class FaultScript {
  private readonly queues = new Map<Operation, Fault[]>();
  private readonly always = new Map<Operation, () => Error>();
  private readonly hanging = new Set<Operation>();
  readonly calls: CallRecord[] = [];
  /** Calls currently hanging, by operation (they end when aborted). */
  readonly hung = new Map<Operation, number>();

  constructor(private readonly clock: () => number) {}

  /** The next `times` calls of `op` throw what `error` makes. */
  fail(op: Operation, times: number, error: () => Error): this {
    for (let i = 0; i < times; i++) this.queue(op).push({ kind: 'error', error });
    return this;
  }
  /** Every call of `op` throws, until `heal(op)`. */
  failAlways(op: Operation, error: () => Error): this {
    this.always.set(op, error);
    return this;
  }
  /** Every call of `op` hangs until aborted, until `heal(op)`. */
  hangAlways(op: Operation): this {
    this.hanging.add(op);
    return this;
  }
  heal(op: Operation): this {
    this.always.delete(op);
    this.hanging.delete(op);
    this.queues.delete(op);
    return this;
  }
  rateLimit(op: Operation, times: number, retryAfterMs: number): this {
    return this.fail(op, times, () => new RateLimitedError(op.split('.')[0]!, 'too many requests', retryAfterMs));
  }
  hang(op: Operation): this {
    this.queue(op).push({ kind: 'hang' });
    return this;
  }
  /** The next call of `op` takes effect, then fails with `error` (the answer was lost, e.g. a timeout). */
  effectThen(op: Operation, error: () => Error): this {
    this.queue(op).push({ kind: 'effect-then-error', error });
    return this;
  }
  effectThenHang(op: Operation): this {
    this.queue(op).push({ kind: 'effect-then-hang' });
    return this;
  }
  /** The next call of `op` waits until the returned function is called. */
  gate(op: Operation): () => void {
    let open!: () => void;
    const opened = new Promise<void>((resolve) => (open = resolve));
    this.queue(op).push({ kind: 'gate', opened });
    return open;
  }

  callsOf(op: Operation): CallRecord[] {
    return this.calls.filter((c) => c.op === op);
  }

  /** Runs `effect` under the script for `op`. */
  async run<T>(op: Operation, opts: CallOptions, effect: () => T): Promise<T> {
    this.calls.push({ op, key: opts.idempotencyKey, at: this.clock() });
    const always = this.always.get(op);
    if (always) throw always();
    if (this.hanging.has(op)) return this.hangUntilAborted(op, opts.signal);
    const fault = this.queue(op).shift();
    if (!fault) return effect();
    switch (fault.kind) {
      case 'error':
        throw fault.error();
      case 'hang':
        return this.hangUntilAborted(op, opts.signal);
      case 'effect-then-hang':
        effect();
        return untilAborted(opts.signal);
      case 'effect-then-error':
        effect();
        throw fault.error();
      case 'gate':
        await Promise.race([fault.opened, untilAborted(opts.signal)]);
        return effect();
    }
  }

  private async hangUntilAborted(op: Operation, signal: AbortSignal | undefined): Promise<never> {
    this.hung.set(op, (this.hung.get(op) ?? 0) + 1);
    try {
      return await untilAborted(signal);
    } finally {
      this.hung.set(op, (this.hung.get(op) ?? 1) - 1);
    }
  }

  private queue(op: Operation): Fault[] {
    let q = this.queues.get(op);
    if (!q) this.queues.set(op, (q = []));
    return q;
  }
}

function untilAborted(signal: AbortSignal | undefined): Promise<never> {
  return new Promise((_, reject) => {
    const abort = () => reject(Object.assign(new Error('aborted'), { name: 'AbortError' }));
    if (signal?.aborted) abort();
    signal?.addEventListener('abort', abort, { once: true });
  });
}

/** Results stored under their idempotency key, as a UNIQUE constraint would. */
class KeyStore<T> {
  readonly byKey = new Map<string, T>();
  once(key: string, make: () => T): T {
    const seen = this.byKey.get(key);
    if (seen !== undefined) return structuredClone(seen);
    const made = make();
    this.byKey.set(key, made);
    return structuredClone(made);
  }
}

interface ReservationRow {
  reservationId: string;
  orderId: string;
  items: { sku: string; quantity: number }[];
  status: Reservation['status'];
}

export class FakeInventory {
  readonly stock = new Map<string, number>();
  /** The reservations ledger, by the key of the reserve call. */
  readonly reservations = new Map<string, ReservationRow>();
  private readonly results = {
    reserve: new KeyStore<Reservation>(),
    release: new KeyStore<CompensationResult>(),
    commit: new KeyStore<Reservation>(),
  };
  private seq = 0;

  constructor(
    private readonly faults: FaultScript,
    stock: Record<string, number>,
  ) {
    for (const [sku, qty] of Object.entries(stock)) this.stock.set(sku, qty);
  }

  readonly port: DownstreamPorts['inventory'] = {
    reserve: (req, opts) =>
      this.faults.run('inventory.reserve', opts, () =>
        this.results.reserve.once(opts.idempotencyKey, () => {
          // Repeated lines of one SKU count together, as in the reference ledger.
          const asked = new Map<string, number>();
          for (const i of req.items) asked.set(i.sku, (asked.get(i.sku) ?? 0) + i.quantity);
          const short = [...asked].find(([sku, quantity]) => (this.stock.get(sku) ?? 0) < quantity)?.[0];
          if (short) throw new OutOfStockError('inventory', `not enough ${short}`, { sku: short });
          for (const i of req.items) this.stock.set(i.sku, (this.stock.get(i.sku) ?? 0) - i.quantity);
          const row = {
            reservationId: `res_${++this.seq}`,
            orderId: req.orderId,
            items: req.items.map((i) => ({ ...i })),
            status: 'reserved' as const,
          };
          this.reservations.set(opts.idempotencyKey, row);
          return { reservationId: row.reservationId, status: row.status };
        }),
      ),
    release: (req, opts) =>
      this.faults.run('inventory.release', opts, () =>
        this.results.release.once(opts.idempotencyKey, () => {
          const row = this.reservations.get(req.reservationKey);
          if (!row || row.status === 'released') return { status: 'not_found', id: null };
          if (row.status === 'committed')
            throw new InvalidRequestError('inventory', `reservation ${row.reservationId} is committed`);
          row.status = 'released';
          for (const i of row.items) this.stock.set(i.sku, (this.stock.get(i.sku) ?? 0) + i.quantity);
          return { status: 'released', id: row.reservationId };
        }),
      ),
    commit: (req, opts) =>
      this.faults.run('inventory.commit', opts, () =>
        this.results.commit.once(opts.idempotencyKey, () => {
          const row = this.reservations.get(req.reservationKey);
          if (!row || row.status !== 'reserved')
            throw new InvalidRequestError('inventory', `no open reservation for ${req.reservationKey}`);
          row.status = 'committed';
          return { reservationId: row.reservationId, status: row.status };
        }),
      ),
  };
}

export class FakePayments {
  /** The charges ledger, by the key of the capture call. */
  readonly charges = new Map<string, Charge>();
  readonly refunds: { refundId: string; chargeId: string; amount: number }[] = [];
  private readonly results = { capture: new KeyStore<Charge>(), refund: new KeyStore<CompensationResult>() };
  private seq = 0;

  constructor(private readonly faults: FaultScript) {}

  /** Money kept from `customerId` (captures minus refunds), minor units. */
  netCharged(): number {
    return [...this.charges.values()].reduce((sum, c) => sum + (c.status === 'captured' ? c.amount : 0), 0);
  }

  readonly port: DownstreamPorts['payments'] = {
    capture: (req, opts) =>
      this.faults.run('payments.capture', opts, () =>
        this.results.capture.once(opts.idempotencyKey, () => {
          const charge: Charge = {
            chargeId: `ch_${++this.seq}`,
            amount: req.amount,
            currency: req.currency,
            status: 'captured',
          };
          this.charges.set(opts.idempotencyKey, charge);
          return { ...charge };
        }),
      ),
    refund: (req, opts) =>
      this.faults.run('payments.refund', opts, () =>
        this.results.refund.once(opts.idempotencyKey, () => {
          const charge = this.charges.get(req.captureKey);
          if (!charge || charge.status === 'refunded') return { status: 'not_found', id: null };
          charge.status = 'refunded';
          const refundId = `rf_${++this.seq}`;
          this.refunds.push({ refundId, chargeId: charge.chargeId, amount: charge.amount });
          return { status: 'refunded', id: refundId };
        }),
      ),
  };
}

export class FakeCarrier {
  /** Live shipments by dispatch key; a voided one moves to `voided`. */
  readonly shipments = new Map<string, Shipment>();
  readonly voided = new Map<string, Shipment | null>();
  private readonly results = new KeyStore<Shipment>();
  private readonly voids = new KeyStore<CompensationResult>();
  private seq = 0;
  readonly port: DownstreamPorts['primaryCarrier'];

  constructor(faults: FaultScript, name: Carrier) {
    this.port = {
      name,
      dispatch: (_req, opts) =>
        faults.run(`${name}.dispatch`, opts, () => {
          // Like the reference carrier: a voided key is refused, even where a dispatch had landed.
          if (this.voided.has(opts.idempotencyKey)) throw new InvalidRequestError(name, 'dispatch key was voided');
          return this.results.once(opts.idempotencyKey, () => {
            const n = ++this.seq;
            const shipment = {
              shipmentId: `shp_${name}_${n}`,
              trackingNumber: `TRK-${name.toUpperCase()}-${n}`,
              carrier: name,
            };
            this.shipments.set(opts.idempotencyKey, shipment);
            return shipment;
          });
        }),
      // Its own fault key, so a test can make dispatch sick while the void still answers.
      voidShipment: (req, opts) =>
        faults.run(`${name}.voidShipment`, opts, () =>
          this.voids.once(opts.idempotencyKey, () => {
            const shipment = this.shipments.get(req.shipmentKey) ?? null;
            this.shipments.delete(req.shipmentKey);
            this.voided.set(req.shipmentKey, shipment);
            return shipment ? { status: 'voided', id: shipment.shipmentId } : { status: 'not_found', id: null };
          }),
        ),
    };
  }
}

export class FakeNotifications {
  readonly sent = new Map<
    string,
    { notificationId: string; channel: string; template: string; data: Record<string, unknown> }
  >();
  private readonly results = new KeyStore<{ notificationId: string }>();
  private seq = 0;

  constructor(private readonly faults: FaultScript) {}

  pages() {
    return [...this.sent.values()].filter((n) => n.channel === 'page');
  }

  readonly port: DownstreamPorts['notifications'] = {
    send: (req, opts) =>
      this.faults.run('notifications.send', opts, () =>
        this.results.once(opts.idempotencyKey, () => {
          const notificationId = `ntf_${++this.seq}`;
          this.sent.set(opts.idempotencyKey, {
            notificationId,
            channel: req.channel ?? 'email',
            template: req.template,
            data: req.data,
          });
          return { notificationId };
        }),
      ),
  };
}

/** The alert webhook: alerts stored under their idempotency key, like the notifications service. */
export class FakeAlerts {
  readonly raised = new Map<string, OrderAlert & { alertId: string }>();
  private seq = 0;

  constructor(private readonly faults: FaultScript) {}

  readonly port: AlertsPort = {
    raise: (alert, opts) =>
      this.faults.run('alerts.raise', opts, () => {
        const seen = this.raised.get(opts.idempotencyKey);
        if (seen) return { alertId: seen.alertId };
        const alertId = `alert_${++this.seq}`;
        this.raised.set(opts.idempotencyKey, { ...structuredClone(alert), alertId });
        return { alertId };
      }),
  };
}

export interface FakePortsOptions {
  stock?: Record<string, number>;
  /** Fraud score for every order (model scorer). */
  fraudScore?: number;
  fraudReasons?: string[];
  clock?: () => number;
}

/** Every downstream, faked, sharing one fault script. */
export class FakePorts {
  readonly faults: FaultScript;
  readonly inventory: FakeInventory;
  readonly payments: FakePayments;
  readonly primaryCarrier: FakeCarrier;
  readonly backupCarrier: FakeCarrier;
  readonly notifications: FakeNotifications;
  readonly alerts: FakeAlerts;
  fraudScore: number;
  fraudReasons: string[];

  constructor(opts: FakePortsOptions = {}) {
    this.faults = new FaultScript(opts.clock ?? Date.now);
    this.inventory = new FakeInventory(this.faults, opts.stock ?? { 'SKU-1': 10, 'SKU-2': 10 });
    this.payments = new FakePayments(this.faults);
    this.primaryCarrier = new FakeCarrier(this.faults, 'primaryCarrier');
    this.backupCarrier = new FakeCarrier(this.faults, 'backupCarrier');
    this.notifications = new FakeNotifications(this.faults);
    this.alerts = new FakeAlerts(this.faults);
    this.fraudScore = opts.fraudScore ?? 0.1;
    this.fraudReasons = opts.fraudReasons ?? [];
  }

  private scorer(scorer: FraudAssessment['scorer']): DownstreamPorts['fraudModel'] {
    const op = scorer === 'model' ? 'fraudModel.score' : 'fraudRules.score';
    return {
      score: (_req, opts) =>
        this.faults.run(op, opts, () => ({ score: this.fraudScore, reasons: [...this.fraudReasons], scorer })),
    };
  }

  get ports(): DownstreamPorts {
    return {
      inventory: this.inventory.port,
      payments: this.payments.port,
      primaryCarrier: this.primaryCarrier.port,
      backupCarrier: this.backupCarrier.port,
      fraudModel: this.scorer('model'),
      fraudRules: this.scorer('rules'),
      notifications: this.notifications.port,
    };
  }

  /** Every ledger row of one order, for the ledger invariant (`src/services/ledger-invariant.ts`). */
  ledgerOf(orderId: string): OrderLedger {
    const mine = (key: string) => key.startsWith(`${orderId}:`);
    const charges = [...this.payments.charges].filter(([key]) => mine(key));
    const shipments = (carrier: FakeCarrier, name: Carrier) => [
      ...[...carrier.shipments.keys()]
        .filter(mine)
        .map((key) => ({ carrier: name, key, status: 'dispatched' as const })),
      ...[...carrier.voided.keys()].filter(mine).map((key) => ({ carrier: name, key, status: 'voided' as const })),
    ];
    return {
      charges: charges.map(([key, c]) => ({ key, status: c.status, amount: c.amount })),
      refunds: this.payments.refunds.flatMap((r) => {
        const charged = charges.find(([, c]) => c.chargeId === r.chargeId);
        return charged ? [{ captureKey: charged[0], amount: r.amount }] : [];
      }),
      reservations: [...this.inventory.reservations]
        .filter(([key]) => mine(key))
        .map(([key, r]) => ({ key, status: r.status })),
      shipments: [
        ...shipments(this.primaryCarrier, 'primaryCarrier'),
        ...shipments(this.backupCarrier, 'backupCarrier'),
      ],
    };
  }

  /** Everything the downstreams hold, for "same state as once" comparisons. */
  ledgers(): unknown {
    return structuredClone({
      stock: Object.fromEntries(this.inventory.stock),
      reservations: Object.fromEntries(this.inventory.reservations),
      charges: Object.fromEntries(this.payments.charges),
      refunds: this.payments.refunds,
      shipments: [...this.primaryCarrier.shipments, ...this.backupCarrier.shipments],
      notifications: Object.fromEntries(this.notifications.sent),
    });
  }
}
