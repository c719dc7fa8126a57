/**
 * The approval queue: orders waiting in AWAITING_APPROVAL, longest-waiting first, each with
 * what an approver decides on — total, fraud score and reasons, why it waits, how long it has
 * waited, when the approvers are paged and when it is rejected automatically.
 */
import { ApprovalForm } from '../actions.js';
import { cachedOrder, listOrders } from '../api.js';
import { after, money, relative, since, when } from '../format.js';
import { html } from '../lib.js';
import { Facts, Freshness, OrderLink, Outcomes, usePoll, useOutcomes } from '../ui.js';

const QUEUE_SIZE = 50;

/** Listed orders read in full, keeping those still in `status` (the listing lags behind the orders). */
export async function queue(status, signal) {
  const page = await listOrders({ status, pageSize: QUEUE_SIZE }, signal);
  const states = await Promise.all(page.orders.map((o) => cachedOrder(o.orderId, signal).catch(() => null)));
  return { states: states.filter((s) => s?.status === status), more: page.nextCursor !== null };
}

export function fraudText(fraud) {
  if (!fraud) return 'not scored yet';
  const reasons = fraud.reasons?.length ? ` — ${fraud.reasons.join(', ')}` : '';
  return `${fraud.score.toFixed(2)} (${fraud.scorer === 'rules' ? 'rules scorer' : 'model'})${reasons}`;
}

/** When the approvers are (or were) paged, and when the order gives up waiting. */
export function escalationText(state) {
  const approval = state.approval ?? {};
  const policy = state.order?.policy ?? {};
  if (approval.escalatedAt) return `Paged the approvers ${when(approval.escalatedAt)}`;
  const due = after(approval.requestedAt, policy.approvalEscalateAfter);
  if (!due) return null;
  return due < new Date()
    ? `Paging the approvers (was due ${when(due)})`
    : `Pages the approvers ${relative(due)} (${when(due)})`;
}

export function autoRejectText(state) {
  const due = after(state.approval?.requestedAt, state.order?.policy?.approvalAutoRejectAfter);
  return due ? `${relative(due)} (${when(due)})` : null;
}

function ApprovalCard({ state, outcomes, onDone }) {
  const id = state.orderId;
  const { order, approval } = state;
  const customer = order?.customer;
  return html`<article class="card" aria-labelledby=${`title-${id}`}>
    <h2 id=${`title-${id}`}><${OrderLink} id=${id} /></h2>
    <${Facts}
      rows=${[
        ['Total', order && html`<strong>${money(order.total, order.currency)}</strong>`],
        ['Customer', customer && [customer.name, customer.id, customer.email].filter(Boolean).join(' · ')],
        ['Why it waits', approval?.reasons?.join('; ')],
        ['Fraud score', fraudText(state.fraud ?? approval?.fraud)],
        ['Waiting for', approval ? since(approval.requestedAt) : null],
        ['Escalation', escalationText(state)],
        ['Auto-reject', autoRejectText(state)],
        ['Approvers', order?.policy?.approvers?.length ? order.policy.approvers.join(', ') : 'any approver'],
      ]}
    />
    <${ApprovalForm} state=${state} outcomes=${outcomes} onDone=${onDone} />
  </article>`;
}

export function ApprovalsView() {
  const [poll, reload] = usePoll((signal) => queue('AWAITING_APPROVAL', signal), []);
  const outcomes = useOutcomes();
  const states = [...(poll.data?.states ?? [])].sort((a, b) =>
    String(a.approval?.requestedAt).localeCompare(String(b.approval?.requestedAt)),
  );
  return html`<section aria-labelledby="view-title">
    <h1 id="view-title" tabindex="-1">Approval queue</h1>
    <p class="lead">Orders waiting for a person's decision, longest-waiting first.</p>
    <${Freshness} poll=${poll} onRefresh=${reload} />
    <${Outcomes} outcomes=${outcomes.outcomes} />
    ${poll.data && states.length === 0 && html`<p class="empty">No order is waiting for approval.</p>`}
    <div class="cards">
      ${states.map((s) => html`<${ApprovalCard} key=${s.orderId} state=${s} outcomes=${outcomes} onDone=${reload} />`)}
    </div>
    ${
      poll.data?.more &&
      html`<p class="note">
        More orders are waiting than shown here:
        <a href="#/orders?status=AWAITING_APPROVAL">list them all</a>.
      </p>`
    }
  </section>`;
}
