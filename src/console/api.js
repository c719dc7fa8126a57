/**
 * The orders API as the console calls it: same origin, the bearer token from this tab's
 * sessionStorage (gone when the tab closes), every refusal an ApiError carrying the API's
 * problem+json (`detail` is written for people).
 */

const TOKEN_KEY = 'orders-console.token';

export const session = {
  token: () => sessionStorage.getItem(TOKEN_KEY),
  save: (token) => sessionStorage.setItem(TOKEN_KEY, token),
  clear: () => sessionStorage.removeItem(TOKEN_KEY),
};

export class ApiError extends Error {
  constructor(status, problem, retryAfter = null) {
    super(problem.detail ?? problem.title ?? `HTTP ${status}`);
    this.status = status;
    this.problem = problem;
    this.retryAfter = retryAfter;
  }
}

/** An error in one sentence or two, for a person: the problem's title and detail, and field errors. */
export function describeError(err) {
  if (!(err instanceof ApiError)) return `Something went wrong in the console: ${err?.message ?? err}`;
  const { title, detail, errors } = err.problem;
  const fields = Array.isArray(errors) ? errors.map((e) => ` ${e.field}: ${e.message}.`).join('') : '';
  const wait = err.retryAfter ? ` Try again in ${err.retryAfter} s.` : '';
  const head = err.status ? `${title ?? 'Refused'} (${err.status})` : title;
  return `${head}: ${detail}${fields}${wait}`;
}

let signedOut = () => {};
/** Called when the API stops accepting the stored token (revoked, rotated). */
export function onSignedOut(fn) {
  signedOut = fn;
}

export async function api(path, { method = 'GET', body, signal, token = session.token() } = {}) {
  const headers = { Accept: 'application/json, application/problem+json' };
  if (token) headers.Authorization = `Bearer ${token}`;
  if (body !== undefined) headers['Content-Type'] = 'application/json';
  let res;
  try {
    res = await fetch(path, {
      method,
      headers,
      body: body === undefined ? undefined : JSON.stringify(body),
      signal,
      cache: 'no-store',
    });
  } catch (err) {
    if (err.name === 'AbortError') throw err;
    throw new ApiError(0, { title: 'No answer', detail: 'The API did not answer. Is it running?' });
  }
  const data = await res.json().catch(() => null);
  if (res.ok) return { status: res.status, data };
  const problem = typeof data?.detail === 'string' ? data : { title: res.statusText, detail: `HTTP ${res.status}.` };
  if (res.status === 401 && token && token === session.token()) signedOut(problem);
  throw new ApiError(res.status, problem, res.headers.get('Retry-After'));
}

const orderPath = (orderId) => `/orders/${encodeURIComponent(orderId)}`;

export const whoAmI = (token) => api('/me', { token }).then((r) => r.data);

export async function settings() {
  const res = await fetch('settings.json', { cache: 'no-store' });
  return res.ok ? res.json() : {};
}

/** One page of `GET /orders`; empty filters are left out. */
export function listOrders({ status, customerId, pageSize, cursor }, signal) {
  const query = new URLSearchParams();
  if (status) query.set('status', status);
  if (customerId) query.set('customerId', customerId);
  if (pageSize) query.set('pageSize', String(pageSize));
  if (cursor) query.set('cursor', cursor);
  return api(`/orders?${query}`, { signal }).then((r) => r.data);
}

export const getOrder = (orderId, signal) => api(orderPath(orderId), { signal }).then((r) => r.data);

// The queues show details of every listed order; reading each one on every refresh would spend
// the token's read budget (API_READ_RATE_PER_MINUTE) on answers that rarely change.
const cache = new Map();
const CACHE_MS = 30_000;

export async function cachedOrder(orderId, signal) {
  const hit = cache.get(orderId);
  if (hit && Date.now() - hit.at < CACHE_MS) return hit.state;
  const state = await getOrder(orderId, signal);
  cache.set(orderId, { state, at: Date.now() });
  return state;
}
export const forget = (orderId) => cache.delete(orderId);

const SETTLE_POLL_MS = 1000;
const SETTLE_TIMEOUT_MS = 60_000;

/**
 * Sends a steering request (`approval`, `cancel`, `retry`) and resolves with the order's state
 * once it has settled: the answer itself when the API waited for that (200), otherwise (202) the
 * order read again until `settled(state)` holds. Null when it is still settling after a minute.
 */
export async function steer(orderId, action, body, settled, onProgress = () => {}) {
  forget(orderId);
  const { status, data } = await api(`${orderPath(orderId)}/${action}`, { method: 'POST', body });
  if (status !== 202) return data;
  onProgress('Accepted; the order is still settling…');
  for (const deadline = Date.now() + SETTLE_TIMEOUT_MS; Date.now() < deadline;) {
    await new Promise((resolve) => setTimeout(resolve, SETTLE_POLL_MS));
    const state = await getOrder(orderId);
    if (settled(state)) return state;
  }
  return null;
}

export const drainDeadLetters = (reason) =>
  api('/admin/dead-letters/drain', { method: 'POST', body: reason ? { reason } : {} }).then((r) => r.data);
