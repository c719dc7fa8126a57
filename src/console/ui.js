/** Pieces every view uses: who is signed in, polling, action outcomes, small components. */
import { describeError } from './api.js';
import { statusWords, when } from './format.js';
import { createContext, html, useContext, useEffect, useRef, useState } from './lib.js';

/** { identity, role, live, settings }: provided by app.js once signed in. */
export const ConsoleContext = createContext(null);
export const useConsole = () => useContext(ConsoleContext);

/** How often lists and the order page refresh while the tab is visible and live updates are on. */
export const POLL_MS = 4000;

/**
 * Runs `load(signal)` now and whenever `deps` change, then every POLL_MS while the tab is
 * visible and live updates are on; a hidden tab stops asking and catches up when shown again.
 * Keeps the last data while reloading, so the page does not flicker. Returns the state and a
 * function that reloads at once.
 */
export function usePoll(load, deps) {
  const { live } = useConsole();
  const [state, setState] = useState({ data: null, error: null, loading: true, at: null });
  const [tick, setTick] = useState(0);
  const liveRef = useRef(live);
  liveRef.current = live;
  const timer = useRef(undefined);
  useEffect(() => {
    let stopped = false;
    let inFlight = false;
    let controller;
    const run = async () => {
      clearTimeout(timer.current);
      inFlight = true;
      controller = new AbortController();
      try {
        const data = await load(controller.signal);
        if (!stopped) setState({ data, error: null, loading: false, at: new Date() });
      } catch (error) {
        if (!stopped && error.name !== 'AbortError') setState((s) => ({ ...s, error, loading: false }));
      }
      inFlight = false;
      if (!stopped && liveRef.current && !document.hidden) timer.current = setTimeout(run, POLL_MS);
    };
    const onVisibility = () => {
      if (!document.hidden && liveRef.current && !inFlight) void run();
    };
    void run();
    document.addEventListener('visibilitychange', onVisibility);
    return () => {
      stopped = true;
      clearTimeout(timer.current);
      controller?.abort();
      document.removeEventListener('visibilitychange', onVisibility);
    };
  }, [...deps, tick]);
  // Live updates off: no further read (what is shown stays put); on again: read now and carry on.
  const mounted = useRef(false);
  useEffect(() => {
    if (!mounted.current) mounted.current = true;
    else if (live) setTick((t) => t + 1);
    else clearTimeout(timer.current);
  }, [live]);
  return [state, () => setTick((t) => t + 1)];
}

/**
 * Actions and how they went, newest first, for a view's outcome list. `run(orderId, label, fn)`
 * shows "label…", then the sentence `fn(progress)` resolves with, or the API's refusal in words.
 */
export function useOutcomes() {
  const [outcomes, setOutcomes] = useState([]);
  const seq = useRef(0);
  const update = (id, change) => setOutcomes((list) => list.map((o) => (o.id === id ? { ...o, ...change } : o)));
  const run = async (orderId, label, fn) => {
    const id = ++seq.current;
    setOutcomes((list) => [{ id, orderId, kind: 'pending', text: `${label}…` }, ...list].slice(0, 6));
    try {
      const text = await fn((progress) => update(id, { text: `${label}: ${progress}` }));
      update(id, { kind: 'ok', text });
    } catch (err) {
      update(id, { kind: 'error', text: `${label} refused. ${describeError(err)}` });
    }
  };
  const busy = (orderId) => outcomes.some((o) => o.kind === 'pending' && o.orderId === orderId);
  return { outcomes, run, busy };
}

/** The outcome list: a polite live region, so screen readers hear each result once. */
export function Outcomes({ outcomes }) {
  return html`<ul class="outcomes" aria-live="polite" aria-label="Results of your actions">
    ${outcomes.map(
      (o) =>
        html`<li key=${o.id} class=${`outcome ${o.kind}`}>
          ${o.text} <a href=${orderHref(o.orderId)}>Open the order</a>
        </li>`,
    )}
  </ul>`;
}

export const orderHref = (orderId) => `#/orders/${encodeURIComponent(orderId)}`;

export function OrderLink({ id }) {
  return html`<a class="order-id" href=${orderHref(id)}>${id}</a>`;
}

export function Status({ status }) {
  return html`<span class=${`status status-${(status ?? 'unknown').toLowerCase()}`}>${statusWords(status)}</span>`;
}

export function Time({ iso }) {
  return iso ? html`<time datetime=${iso} title=${iso}>${when(iso)}</time>` : '—';
}

/** A list's state line: when it was read, a manual refresh, and the last error if any. */
export function Freshness({ poll, onRefresh }) {
  const { live } = useConsole();
  return html`<div class="freshness">
    <span>${poll.at ? `Updated ${when(poll.at)}` : 'Loading…'}${live ? '' : ' (live updates off)'}</span>
    <button type="button" class="link" onClick=${onRefresh}>Refresh now</button>
    ${poll.error && html`<p class="error" role="alert">${describeError(poll.error)}</p>`}
  </div>`;
}

/** <dl> rows from [term, value] pairs, skipping empty values. */
export function Facts({ rows }) {
  return html`<dl class="facts">
    ${rows
      .filter(([, value]) => value !== undefined && value !== null && value !== '' && value !== false)
      .map(
        ([term, value]) =>
          html`<div key=${term}>
            <dt>${term}</dt>
            <dd>${value}</dd>
          </div>`,
      )}
  </dl>`;
}

/**
 * A button for an action that cannot be taken back: the first press asks, a second confirms.
 * Focus moves to the confirmation, and Escape or "Keep" backs out.
 */
export function ConfirmButton({ label, question, confirmLabel, disabled, onConfirm, className = '' }) {
  const [asking, setAsking] = useState(false);
  const yes = useRef(null);
  const first = useRef(null);
  const answered = useRef(false);
  useEffect(() => {
    if (asking) yes.current?.focus();
    else if (answered.current) first.current?.focus(); // back where the question was asked
  }, [asking]);
  if (!asking)
    return html`<button
      type="button"
      class=${className}
      ref=${first}
      disabled=${disabled}
      onClick=${() => setAsking(true)}
    >
      ${label}
    </button>`;
  const done = (confirmed) => {
    answered.current = true;
    setAsking(false);
    if (confirmed) onConfirm();
  };
  return html`<span
    class="confirm"
    role="group"
    aria-label=${question}
    onKeyDown=${(e) => e.key === 'Escape' && done(false)}
  >
    <span>${question}</span>
    <button type="button" class=${className} ref=${yes} onClick=${() => done(true)}>${confirmLabel}</button>
    <button type="button" onClick=${() => done(false)}>Keep</button>
  </span>`;
}
