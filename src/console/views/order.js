/**
 * One order with its full context (`GET /orders/:id`, the workflow's own query): what it is,
 * where it stands, how it got there — transitions, attempts, the last error, compensations,
 * fallbacks, the SLA watchdog — the actions the signed-in role may take, and where to look
 * deeper: the Temporal Web UI and the CLI.
 */
import { ApprovalForm, OperatorForms } from '../actions.js';
import { describeError, getOrder } from '../api.js';
import { money, since, statusWords, when } from '../format.js';
import { html } from '../lib.js';
import { Facts, Freshness, Outcomes, Status, Time, useConsole, usePoll, useOutcomes } from '../ui.js';
import { autoRejectText, escalationText, fraudText } from './approvals.js';
import { errorText, parkedStep } from './parked.js';

function Section({ title, children }) {
  const id = `s-${title.toLowerCase().replace(/\W+/g, '-')}`;
  return html`<section class="panel" aria-labelledby=${id}>
    <h2 id=${id}>${title}</h2>
    ${children}
  </section>`;
}

function Table({ caption, head, rows, empty }) {
  if (!rows.length) return html`<p class="empty">${empty}</p>`;
  return html`<table>
    <caption class="visually-hidden">
      ${caption}
    </caption>
    <thead>
      <tr>
        ${head.map((h) => html`<th scope="col">${h}</th>`)}
      </tr>
    </thead>
    <tbody>
      ${rows.map(
        (cells, i) =>
          html`<tr key=${i}>
            ${cells.map((c) => html`<td>${c}</td>`)}
          </tr>`,
      )}
    </tbody>
  </table>`;
}

function Timeline({ transitions }) {
  if (!transitions?.length) return html`<p class="empty">No transitions known.</p>`;
  return html`<ol class="timeline">
    ${transitions.map(
      (t, i) =>
        html`<li key=${i}>
          <${Time} iso=${t.at} />
          <span class="move">${t.from ? html`<${Status} status=${t.from} /> → ` : ''}<${Status} status=${t.to} /></span>
          <span class="reason">${t.reason}${t.attempt > 1 ? ` (attempt ${t.attempt})` : ''}</span>
        </li>`,
    )}
  </ol>`;
}

/** The SLA watchdog: a breach recorded on the order, or the limit it is held to. */
function slaText(state) {
  const limit = state.order?.policy?.inventoryLockedSla ?? '300s';
  const sla = state.sla;
  if (sla)
    return (
      `Breached: ${statusWords(sla.status)} for longer than ${sla.limit} (entered ${when(sla.enteredAt)}, ` +
      `breached ${when(sla.breachedAt)}); alert ${sla.alert.status}${sla.alert.error ? `: ${sla.alert.error}` : ''}.`
    );
  if (state.status === 'INVENTORY_LOCKED') {
    const entered = [...(state.transitions ?? [])].reverse().find((t) => t.to === 'INVENTORY_LOCKED');
    return `Within the SLA: inventory locked for ${since(entered?.at)} of ${limit}.`;
  }
  return `No breach recorded (an order may stay inventory locked for ${limit}).`;
}

function Links({ orderId }) {
  const { settings } = useConsole();
  const ns = settings?.namespace ?? 'default';
  const ui = `${settings?.temporalUiUrl ?? 'http://localhost:8233'}/namespaces/${encodeURIComponent(ns)}/workflows/${encodeURIComponent(orderId)}`;
  const cli = `temporal workflow show --namespace ${ns} --workflow-id ${orderId}`;
  return html`<div class="links">
    <p><a href=${ui} target="_blank" rel="noopener noreferrer">Open in the Temporal Web UI</a></p>
    <p class="cli">
      <label for="cli"
        >The same in the CLI <span class="hint">(locally: <code>npm run temporal:cli --</code> …)</span></label
      >
      <input id="cli" class="code" readonly value=${cli} onFocus=${(e) => e.currentTarget.select()} />
    </p>
  </div>`;
}

function OrderDetails({ state }) {
  const { order, approval, parked } = state;
  const customer = order?.customer;
  const address = order?.shippingAddress;
  return html`<div class="panels">
    <${Section} title="Order">
      <${Facts}
        rows=${[
          ['Status', html`<${Status} status=${state.status} />`],
          ['Current step', state.currentStep],
          ['Total', order && money(order.total, order.currency)],
          ['Customer', customer && [customer.name, customer.id, customer.email].filter(Boolean).join(' · ')],
          [
            'Ship to',
            address &&
              [address.name, address.line1, address.line2, address.postalCode, address.city, address.country]
                .filter(Boolean)
                .join(', '),
          ],
          [
            'Items',
            order?.items?.map((i) => `${i.quantity} × ${i.sku} at ${money(i.unitPrice, order.currency)}`).join('; '),
          ],
          ['Reservation', state.reservationId],
          ['Charge', state.charge && `${state.charge.chargeId}: ${money(state.charge.amount, state.charge.currency)}`],
          ['Shipment', state.shipment && `${state.shipment.carrier}, tracking ${state.shipment.trackingNumber}`],
          [
            'Cancellation',
            state.cancellation &&
              `${state.cancellation.reason} (by ${state.cancellation.requestedBy}, ${when(state.cancellation.at)})`,
          ],
          ['Request id', order?.requestId],
        ]}
      />
    </${Section}>
    ${
      approval &&
      html`<${Section} title="Approval">
      <${Facts}
        rows=${[
          ['Requested', html`<${Time} iso=${approval.requestedAt} />`],
          ['Why', approval.reasons?.join('; ')],
          ['Fraud score', fraudText(state.fraud ?? approval.fraud)],
          [
            'Escalation',
            approval.decision ? approval.escalatedAt && `Paged ${when(approval.escalatedAt)}` : escalationText(state),
          ],
          ['Auto-reject', !approval.decision && autoRejectText(state)],
          [
            'Decision',
            approval.decision &&
              `${approval.decision.decision === 'approve' ? 'Approved' : 'Rejected'} by ${approval.decision.approver}${approval.decision.automatic ? ' (automatic)' : ''}, ${when(approval.decision.at)}`,
          ],
          ['Comment', approval.decision?.comment],
        ]}
      />
    </${Section}>`
    }
    ${
      parked &&
      html`<${Section} title="Parked">
      <${Facts} rows=${[
        ['Reason', parked.reason],
        ['Step', parkedStep(parked)],
        ['Since', `${when(parked.at)} (${since(parked.at)})`],
      ]} />
    </${Section}>`
    }
    </div>
    <${Section} title="Timeline"><${Timeline} transitions=${state.transitions} /></${Section}>
    <div class="panels">
    <${Section} title="Attempts and errors">
      <${Table}
        caption="Attempts per step"
        head=${['Step', 'Attempts']}
        rows=${Object.entries(state.attempts ?? {}).map(([step, n]) => [step, n])}
        empty="No step attempted yet."
      />
      <p><strong>Last error:</strong> ${errorText(state.lastError) ?? 'none'}</p>
    </${Section}>
    <${Section} title="Compensations">
      <${Table}
        caption="Compensations"
        head=${['Step', 'Outcome', 'At', 'Error']}
        rows=${(state.compensations ?? []).map((c) => [c.step, c.status, when(c.at), c.error ? `${c.error.type}: ${c.error.message}` : ''])}
        empty="Nothing compensated."
      />
    </${Section}>
    <${Section} title="SLA"><p>${slaText(state)}</p></${Section}>
    </div>
    <${Section} title="Fallbacks">
      <${Table}
        caption="Fallbacks"
        head=${['Step', 'Instead of', 'Used', 'Because', 'At']}
        rows=${(state.fallbacks ?? []).map((f) => [f.step, f.from, f.to, f.reason, when(f.at)])}
        empty="No alternative path taken."
      />
    </${Section}>`;
}

export function OrderView({ orderId }) {
  const [poll, reload] = usePoll((signal) => getOrder(orderId, signal), [orderId]);
  const outcomes = useOutcomes();
  const state = poll.data;
  const notFound = poll.error?.status === 404;
  return html`<section aria-labelledby="view-title" class="order-page">
    <p><a href="#/orders">← All orders</a></p>
    <h1 id="view-title" tabindex="-1">${orderId}</h1>
    ${
      notFound
        ? html`<p class="error" role="alert">${describeError(poll.error)}</p>`
        : html`<${Freshness} poll=${poll} onRefresh=${reload} />`
    }
    ${state && html`<p class="headline"><${Status} status=${state.status} /></p>`}
    <${Links} orderId=${orderId} />
    ${state?.source === 'records' && html`<p class="note" role="note">${state.detail}</p>`}
    ${
      state &&
      html`<div class="actions">
        <${ApprovalForm} state=${state} outcomes=${outcomes} onDone=${reload} />
        <${OperatorForms} state=${state} outcomes=${outcomes} onDone=${reload} />
      </div>`
    }
    <${Outcomes} outcomes=${outcomes.outcomes} />
    ${state && html`<${OrderDetails} state=${state} />`}
  </section>`;
}
