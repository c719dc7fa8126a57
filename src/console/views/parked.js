/**
 * Parked orders (NEEDS_ATTENTION, the dead letters): why each one parked, on which step, since
 * when and its last error; operators retry one, cancel one where the workflow allows it, or
 * drain them all (`POST /admin/dead-letters/drain`).
 */
import { OperatorForms } from '../actions.js';
import { describeError, drainDeadLetters } from '../api.js';
import { money, since, statusWords, when } from '../format.js';
import { html, useState } from '../lib.js';
import { ConfirmButton, Facts, Freshness, OrderLink, Outcomes, useConsole, usePoll, useOutcomes } from '../ui.js';
import { queue } from './approvals.js';

/** What the order was doing when it parked: the forward step, or the undo steps left. */
export function parkedStep(parked) {
  if (!parked) return null;
  if (parked.step) return `${parked.step} (from ${statusWords(parked.from)})`;
  const undo = parked.pendingCompensations?.length ? `: ${parked.pendingCompensations.join(', ')}` : '';
  return `compensating${undo} (from ${statusWords(parked.from)})`;
}

export function errorText(error) {
  return error ? `${error.step}: ${error.type}: ${error.message} (${when(error.at)})` : null;
}

function ParkedCard({ state, outcomes, onDone }) {
  const id = state.orderId;
  const { order, parked } = state;
  return html`<article class="card" aria-labelledby=${`title-${id}`}>
    <h2 id=${`title-${id}`}><${OrderLink} id=${id} /></h2>
    <${Facts}
      rows=${[
        ['Reason', parked?.reason],
        ['Step', parkedStep(parked)],
        ['Parked since', parked && `${when(parked.at)} (${since(parked.at)})`],
        ['Last error', errorText(state.lastError)],
        ['Total', order && money(order.total, order.currency)],
        ['Customer', order?.customer?.id],
      ]}
    />
    <${OperatorForms} state=${state} outcomes=${outcomes} onDone=${onDone} />
  </article>`;
}

function DrainReport({ report }) {
  return html`<div class="drain-report">
    <p>
      Drained: ${report.found} parked, ${report.retried} retried, ${report.refused} refused, ${report.failed} failed.
    </p>
    ${
      report.orders.length > 0 &&
      html`<ul>
        ${report.orders.map(
          (o) =>
            html`<li key=${o.orderId}>
              <${OrderLink} id=${o.orderId} />: ${o.outcome}${o.detail ? ` — ${o.detail}` : ''}
            </li>`,
        )}
      </ul>`
    }
  </div>`;
}

export function ParkedView() {
  const { role } = useConsole();
  const [poll, reload] = usePoll((signal) => queue('NEEDS_ATTENTION', signal), []);
  const outcomes = useOutcomes();
  const [drain, setDrain] = useState({ busy: false, report: null, error: null });
  const states = [...(poll.data?.states ?? [])].sort((a, b) =>
    String(a.parked?.at).localeCompare(String(b.parked?.at)),
  );
  const drainAll = async () => {
    setDrain({ busy: true, report: null, error: null });
    try {
      setDrain({ busy: false, report: await drainDeadLetters('drained from the console'), error: null });
    } catch (err) {
      setDrain({ busy: false, report: null, error: describeError(err) });
    }
    reload();
  };
  return html`<section aria-labelledby="view-title">
    <h1 id="view-title" tabindex="-1">Parked orders</h1>
    <p class="lead">Orders in NEEDS_ATTENTION wait for an operator, holding what they had locked.</p>
    <${Freshness} poll=${poll} onRefresh=${reload} />
    ${
      role === 'operator' &&
      html`<div class="toolbar">
        <${ConfirmButton}
          label="Drain all"
          question="Retry every parked order?"
          confirmLabel="Yes, retry them all"
          className="primary"
          disabled=${drain.busy}
          onConfirm=${drainAll}
        />
        <div aria-live="polite">
          ${drain.busy && html`<p>Draining…</p>`} ${drain.report && html`<${DrainReport} report=${drain.report} />`}
        </div>
        ${drain.error && html`<p class="error" role="alert">Drain refused. ${drain.error}</p>`}
      </div>`
    }
    <${Outcomes} outcomes=${outcomes.outcomes} />
    ${poll.data && states.length === 0 && html`<p class="empty">No order is parked.</p>`}
    <div class="cards">
      ${states.map((s) => html`<${ParkedCard} key=${s.orderId} state=${s} outcomes=${outcomes} onDone=${reload} />`)}
    </div>
    ${
      poll.data?.more &&
      html`<p class="note">
        More orders are parked than shown: <a href="#/orders?status=NEEDS_ATTENTION">list them all</a>.
      </p>`
    }
  </section>`;
}
