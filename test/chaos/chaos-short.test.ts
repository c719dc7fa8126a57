/**
 * The chaos run, short: the real stack as child processes, 25 orders (every scenario at least
 * once), background faults (lost answers on every service with an effect among them), one
 * SIGKILL and restart of the worker, a 6 s payments outage; then the same audit as
 * `npm run chaos`, whose figures must all be 0. Prints the figures. First, in a few
 * milliseconds: the audit itself catches hand-made bad ledgers, each in its figure.
 */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { audit, totalOf, type FinalView, type Ledgers } from '../../scripts/chaos/audit';
import { BACKGROUND_FAULTS } from '../../scripts/chaos/faults';
import { printReport } from '../../scripts/chaos/report';
import { runChaos } from '../../scripts/chaos/run';
import type { OrderState } from '../../src/workflows/definitions';

const say = (m: string) => process.stderr.write(`[chaos-short] ${m}\n`);

/** Just what the audit reads of an order's state. */
const state = (status: string, total = 100) =>
  ({ status, currentStep: null, order: { total } }) as unknown as OrderState;

test('the audit finds every kind of violation, each in its figure, and passes a clean ledger', () => {
  const views = new Map<string, FinalView>([
    ['o-clean', state('COMPLETED')],
    ['o-clean-fallback', state('COMPLETED')],
    ['o-clean-revoked', state('TRANSACTION_REVOKED')],
    ['o-lost', 'missing'],
    ['o-double-charge', state('NEEDS_ATTENTION')],
    ['o-double-reserve', state('RECEIVED')],
    ['o-double-ship', state('COMPLETED')],
    ['o-refund-twice', state('TRANSACTION_REVOKED')],
    ['o-refund-unmatched', state('TRANSACTION_REVOKED')],
    ['o-kept', state('REJECTED')],
    ['o-shipped', state('CANCELLED')],
    ['o-held', state('TRANSACTION_REVOKED')],
    ['o-committed', state('CANCELLED')],
    ['o-no-shipment', state('COMPLETED')],
    ['o-awaiting', state('AWAITING_APPROVAL')],
  ]);
  const completed = (orderId: string) => ({
    charge: { orderId, captureKey: `${orderId}:pay`, status: 'captured' as const, amount: 100 },
    reservation: { orderId, reservationKey: `${orderId}:inv`, status: 'committed' as const },
    shipment: { orderId, carrier: 'swiftship', dispatchKey: `${orderId}:ship`, status: 'dispatched' as const },
  });
  const clean = completed('o-clean');
  const ledgers: Ledgers = {
    charges: [
      clean.charge,
      { ...completed('o-clean-fallback').charge },
      { orderId: 'o-clean-revoked', captureKey: 'r:pay', status: 'refunded', amount: 100 },
      { orderId: 'o-double-charge', captureKey: 'd:pay', status: 'captured', amount: 100 },
      { orderId: 'o-double-charge', captureKey: 'd:pay', status: 'captured', amount: 100 },
      completed('o-double-ship').charge,
      { orderId: 'o-refund-twice', captureKey: 't:pay', status: 'refunded', amount: 100 },
      { orderId: 'o-refund-unmatched', captureKey: 'u:pay', status: 'declined', amount: 100 },
      { orderId: 'o-kept', captureKey: 'k:pay', status: 'captured', amount: 100 },
      { orderId: 'o-awaiting', captureKey: 'a:pay', status: 'captured', amount: 100 },
      completed('o-no-shipment').charge,
    ],
    refunds: [
      { orderId: 'o-clean-revoked', captureKey: 'r:pay', amount: 100 },
      { orderId: 'o-refund-twice', captureKey: 't:pay', amount: 100 },
      { orderId: 'o-refund-twice', captureKey: 't:pay', amount: 100 },
      { orderId: 'o-refund-unmatched', captureKey: 'u:pay', amount: 100 },
    ],
    reservations: [
      clean.reservation,
      completed('o-clean-fallback').reservation,
      { orderId: 'o-clean-revoked', reservationKey: 'r:inv', status: 'released' },
      { orderId: 'o-clean-revoked', reservationKey: 'r:late', status: 'voided' },
      { orderId: 'o-double-reserve', reservationKey: 'x:inv', status: 'reserved' },
      { orderId: 'o-double-reserve', reservationKey: 'x:inv', status: 'reserved' },
      completed('o-double-ship').reservation,
      { orderId: 'o-held', reservationKey: 'h:inv', status: 'reserved' },
      { orderId: 'o-committed', reservationKey: 'c:inv', status: 'committed' },
      { orderId: 'o-awaiting', reservationKey: 'a:inv', status: 'reserved' },
      completed('o-no-shipment').reservation,
    ],
    shipments: [
      clean.shipment,
      // The primary's dispatch voided before the backup shipped: one live shipment.
      { ...completed('o-clean-fallback').shipment, status: 'voided' },
      { ...completed('o-clean-fallback').shipment, carrier: 'steadypost' },
      { orderId: 'o-clean-revoked', carrier: 'swiftship', dispatchKey: 'r:ship', status: 'voided' },
      completed('o-double-ship').shipment,
      completed('o-double-ship').shipment,
      { orderId: 'o-shipped', carrier: 'swiftship', dispatchKey: 's:ship', status: 'dispatched' },
    ],
  };
  const figures = audit(views, ledgers);
  const found = Object.fromEntries(
    (Object.entries(figures) as [string, string[]][]).map(([figure, list]) => [
      figure,
      [...new Set(list.map((entry) => entry.split(' ')[0] ?? entry))].sort(),
    ]),
  );
  assert.deepEqual(found, {
    lost: ['o-lost'],
    doubleCharges: ['o-double-charge'],
    doubleReservations: ['o-double-reserve'],
    doubleShipments: ['o-double-ship'],
    refundMismatches: ['o-refund-twice', 'o-refund-unmatched'],
    chargedOnFailedOrder: ['o-kept'],
    shippedOnFailedOrder: ['o-shipped'],
    stockOnFailedOrder: ['o-committed', 'o-held'],
    completedOutOfBalance: ['o-double-ship', 'o-no-shipment'],
    stuck: ['o-double-reserve'],
  });
});

test('the background faults lose answers on every service with an effect', () => {
  for (const service of ['inventory', 'payments', 'primaryCarrier', 'backupCarrier', 'notifications'] as const)
    assert.ok((BACKGROUND_FAULTS[service]?.lostAnswerRate ?? 0) > 0, service);
});

test('chaos, short: orders survive faults, an outage and a worker SIGKILL with clean ledgers', async () => {
  const report = await runChaos({
    orders: 25,
    rate: 5,
    outage: 'payments',
    outageSeconds: 6,
    workerDownSeconds: 2,
    settleSeconds: 150,
    // Its own ports, so it never meets a full `npm run chaos` (17230…) or the dev stack.
    basePort: Number(process.env.CHAOS_SHORT_BASE_PORT ?? 17_330),
    seed: 7,
    keep: false,
    say,
  });
  printReport(report, say);
  assert.equal(report.workerRestarts, 1, 'the worker was killed and restarted once');
  assert.equal(
    report.accepted,
    report.submitted,
    `every submission accepted (refused: ${JSON.stringify(report.refused)})`,
  );
  for (const [figure, list] of Object.entries(report.figures)) assert.deepEqual(list, [], `${figure} must be 0`);
  assert.equal(totalOf(report.figures), 0);
});
