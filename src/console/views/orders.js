/**
 * Orders by status and customer, a page at a time (`GET /orders`), or one order by its id. The
 * filters live in the address (#/orders?status=…&customer=…&size=…), so a view can be linked and
 * the back button works; the page cursors, which the API signs, stay in memory.
 */
import { listOrders } from '../api.js';
import { money, STATUSES, statusWords } from '../format.js';
import { html, useState } from '../lib.js';
import { Freshness, OrderLink, orderHref, Status, Time, usePoll } from '../ui.js';

const PAGE_SIZES = [10, 20, 50, 100];

export function ordersHref({ status, customer, size }) {
  const query = new URLSearchParams();
  if (status) query.set('status', status);
  if (customer) query.set('customer', customer);
  if (size && size !== 20) query.set('size', String(size));
  const text = query.toString();
  return text ? `#/orders?${text}` : '#/orders';
}

function SearchForm({ status, customer, size }) {
  const [form, setForm] = useState({ status, customer, size, orderId: '' });
  const set = (field) => (e) => setForm({ ...form, [field]: e.currentTarget.value });
  const submit = (e) => {
    e.preventDefault();
    const orderId = form.orderId.trim();
    location.hash = orderId
      ? orderHref(orderId)
      : ordersHref({ status: form.status, customer: form.customer.trim(), size: Number(form.size) });
  };
  return html`<form class="search" role="search" aria-label="Find orders" onSubmit=${submit}>
    <div class="field">
      <label for="f-status">Status</label>
      <select id="f-status" value=${form.status} onChange=${set('status')}>
        <option value="">any status</option>
        ${STATUSES.map((s) => html`<option key=${s} value=${s}>${statusWords(s)}</option>`)}
      </select>
    </div>
    <div class="field">
      <label for="f-customer">Customer id</label>
      <input id="f-customer" value=${form.customer} onInput=${set('customer')} autocomplete="off" spellcheck="false" />
    </div>
    <div class="field">
      <label for="f-order">Order id <span class="hint">(opens it)</span></label>
      <input id="f-order" value=${form.orderId} onInput=${set('orderId')} autocomplete="off" spellcheck="false" />
    </div>
    <div class="field">
      <label for="f-size">Per page</label>
      <select id="f-size" value=${String(form.size)} onChange=${set('size')}>
        ${[...new Set([...PAGE_SIZES, Number(form.size)])].sort((a, b) => a - b).map((n) => html`<option key=${n} value=${String(n)}>${n}</option>`)}
      </select>
    </div>
    <div class="buttons"><button type="submit" class="primary">Search</button></div>
  </form>`;
}

/** Re-created (keyed by the address) whenever the filters change, which starts it on page one. */
export function OrdersView({ params }) {
  const status = params.get('status') ?? '';
  const customer = params.get('customer') ?? '';
  const size = Number(params.get('size')) || 20;
  // cursors[i] opens page i + 1 (null: the first page); the last one is the page shown.
  const [cursors, setCursors] = useState([null]);
  const cursor = cursors[cursors.length - 1];
  const [poll, reload] = usePoll(
    (signal) => listOrders({ status, customerId: customer, pageSize: size, cursor }, signal),
    [cursor],
  );
  const orders = poll.data?.orders ?? [];
  const filters = [status && `status ${statusWords(status)}`, customer && `customer ${customer}`].filter(Boolean);
  return html`<section aria-labelledby="view-title">
    <h1 id="view-title" tabindex="-1">Orders</h1>
    <${SearchForm} status=${status} customer=${customer} size=${size} />
    <${Freshness} poll=${poll} onRefresh=${reload} />
    ${
      poll.error?.status === 400 &&
      cursor &&
      html`<p><button type="button" onClick=${() => setCursors([null])}>Back to the first page</button></p>`
    }
    <table class="orders">
      <caption>
        ${filters.length ? `Orders with ${filters.join(' and ')}` : 'All orders'}, newest first — page ${cursors.length}
      </caption>
      <thead>
        <tr>
          <th scope="col">Order</th>
          <th scope="col">Status</th>
          <th scope="col">Customer</th>
          <th scope="col" class="num">Total</th>
          <th scope="col">Started</th>
          <th scope="col">Closed</th>
        </tr>
      </thead>
      <tbody>
        ${orders.map(
          (o) =>
            html`<tr key=${o.orderId}>
              <th scope="row"><${OrderLink} id=${o.orderId} /></th>
              <td><${Status} status=${o.status} /></td>
              <td>${o.customerId ?? '—'}</td>
              <td class="num">${money(o.total, o.currency)}</td>
              <td><${Time} iso=${o.startedAt} /></td>
              <td>${o.closedAt ? html`<${Time} iso=${o.closedAt} />` : o.workflowStatus.toLowerCase()}</td>
            </tr>`,
        )}
      </tbody>
    </table>
    ${poll.data && orders.length === 0 && html`<p class="empty">No orders match.</p>`}
    <nav class="pager" aria-label="Pages">
      <button type="button" disabled=${cursors.length === 1} onClick=${() => setCursors(cursors.slice(0, -1))}>
        Previous page
      </button>
      <button
        type="button"
        disabled=${!poll.data?.nextCursor}
        onClick=${() => setCursors([...cursors, poll.data.nextCursor])}
      >
        Next page
      </button>
    </nav>
  </section>`;
}
