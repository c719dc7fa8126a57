/**
 * The steering actions as forms — approve or reject, retry, cancel — shared by the queues and the
 * order page. A form is shown only to a role that may take its action and only while the order
 * could take it; the workflow still has the last word, and its refusal is shown in words.
 */
import { steer } from './api.js';
import { statusWords, TERMINAL } from './format.js';
import { html, useState } from './lib.js';
import { ConfirmButton, useConsole } from './ui.js';

export const canDecide = (role, state) => role === 'approver' && state.status === 'AWAITING_APPROVAL';
export const canRetry = (role, state) => role === 'operator' && state.status === 'NEEDS_ATTENTION';

/** The workflow refuses a cancel once dispatch has started, while compensating, or when parked on an undo. */
export function canCancel(role, state) {
  if (role !== 'operator' || TERMINAL.has(state.status) || state.cancellation || state.shipment) return false;
  if (state.status === 'COMPENSATING' || state.status === 'SHIPPING_DISPATCHED') return false;
  if (state.status === 'NEEDS_ATTENTION')
    return Boolean(state.parked?.step) && state.parked.from !== 'SHIPPING_DISPATCHED';
  return true;
}

/** The order's approver list (empty: any approver), as the workflow checks it. */
function approversOf(state) {
  return state.order?.policy?.approvers ?? [];
}

function outcomeText(verb, orderId, state) {
  if (!state) return `${verb} ${orderId}: accepted, still settling after a minute; the lists will show where it went.`;
  const parked = state.status === 'NEEDS_ATTENTION' && state.parked ? `: ${state.parked.reason}` : '';
  return `${verb} ${orderId}: now ${statusWords(state.status)}${parked}.`;
}

const note = (text) => (text.trim() ? text.trim() : undefined);

/** Approve / Reject with an optional comment; `outcomes` from useOutcomes, `onDone` reloads the view. */
export function ApprovalForm({ state, outcomes, onDone }) {
  const { role, identity } = useConsole();
  const [comment, setComment] = useState('');
  if (!canDecide(role, state)) return null;
  const id = state.orderId;
  const approvers = approversOf(state);
  if (approvers.length > 0 && !approvers.includes(identity))
    return html`<p class="note">Only ${approvers.join(', ')} may decide this order; you are ${identity}.</p>`;
  const decide = (decision) =>
    outcomes.run(id, `${decision === 'approve' ? 'Approving' : 'Rejecting'} ${id}`, async (progress) => {
      try {
        const body = { decision, comment: note(comment) };
        const result = await steer(id, 'approval', body, (s) => s.status !== 'AWAITING_APPROVAL', progress);
        return outcomeText(decision === 'approve' ? 'Approved' : 'Rejected', id, result);
      } finally {
        onDone();
      }
    });
  const busy = outcomes.busy(id);
  return html`<form class="action" aria-label=${`Decide ${id}`} onSubmit=${(e) => e.preventDefault()}>
    <label for=${`comment-${id}`}>Comment <span class="hint">(optional, kept with the decision)</span></label>
    <textarea
      id=${`comment-${id}`}
      rows="2"
      maxlength="1000"
      value=${comment}
      onInput=${(e) => setComment(e.currentTarget.value)}
    ></textarea>
    <div class="buttons">
      <button type="button" class="primary" disabled=${busy} onClick=${() => decide('approve')}>Approve</button>
      <${ConfirmButton}
        label="Reject"
        question=${`Reject ${id}? It will be compensated and end REJECTED.`}
        confirmLabel="Yes, reject"
        className="danger"
        disabled=${busy}
        onConfirm=${() => decide('reject')}
      />
    </div>
  </form>`;
}

/** Retry (optional note) and, where the workflow would accept it, Cancel (reason required). */
export function OperatorForms({ state, outcomes, onDone }) {
  const { role } = useConsole();
  const [retryNote, setRetryNote] = useState('');
  const [reason, setReason] = useState('');
  const retry = canRetry(role, state);
  const cancel = canCancel(role, state);
  if (!retry && !cancel) return null;
  const id = state.orderId;
  const busy = outcomes.busy(id);
  const act = (label, verb, path, body, settled) =>
    outcomes.run(id, `${label} ${id}`, async (progress) => {
      try {
        return outcomeText(verb, id, await steer(id, path, body, settled, progress));
      } finally {
        onDone();
      }
    });
  const parkedAt = state.parked?.at;
  const onRetry = (e) => {
    e.preventDefault();
    act(
      'Retrying',
      'Retried',
      'retry',
      { reason: note(retryNote) },
      (s) => s.status !== 'NEEDS_ATTENTION' || s.parked?.at !== parkedAt,
    );
  };
  const onCancel = (e) => {
    e.preventDefault();
    act(
      'Cancelling',
      'Cancelled',
      'cancel',
      { reason: reason.trim() },
      (s) => TERMINAL.has(s.status) || s.status === 'NEEDS_ATTENTION',
    );
  };
  return html`<div class="action-group">
    ${
      retry &&
      html`<form class="action" aria-label=${`Retry ${id}`} onSubmit=${onRetry}>
        <label for=${`retry-${id}`}>Retry note <span class="hint">(optional)</span></label>
        <input
          id=${`retry-${id}`}
          maxlength="500"
          value=${retryNote}
          onInput=${(e) => setRetryNote(e.currentTarget.value)}
        />
        <div class="buttons"><button type="submit" class="primary" disabled=${busy}>Retry</button></div>
      </form>`
    }
    ${
      cancel &&
      html`<form class="action" aria-label=${`Cancel ${id}`} onSubmit=${onCancel}>
        <label for=${`cancel-${id}`}>Cancellation reason <span class="hint">(required)</span></label>
        <input
          id=${`cancel-${id}`}
          required
          pattern=".*\\S.*"
          title="Say why the order is cancelled."
          maxlength="500"
          value=${reason}
          onInput=${(e) => setReason(e.currentTarget.value)}
        />
        <div class="buttons"><button type="submit" class="danger" disabled=${busy}>Cancel order</button></div>
      </form>`
    }
  </div>`;
}
