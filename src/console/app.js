/**
 * The operator console's shell: sign-in, the header with the views the role needs, and a
 * router over the address's fragment (#/approvals, #/parked, #/orders?status=…, #/orders/<id>),
 * so links and the back button work with no server-side routes. See docs/console.md.
 */
import { describeError, onSignedOut, session, settings as loadSettings, whoAmI } from './api.js';
import { html, render, useEffect, useRef, useState } from './lib.js';
import { ConsoleContext } from './ui.js';
import { ApprovalsView } from './views/approvals.js';
import { OrderView } from './views/order.js';
import { OrdersView } from './views/orders.js';
import { ParkedView } from './views/parked.js';
import { SignIn } from './views/sign-in.js';

const LIVE_KEY = 'orders-console.live';

const VIEWS = [
  { view: 'approvals', href: '#/approvals', label: 'Approval queue' },
  { view: 'parked', href: '#/parked', label: 'Parked orders' },
  { view: 'orders', href: '#/orders', label: 'Orders' },
];

/** Where each role starts: the work waiting for it. */
const HOME = { approver: '#/approvals', operator: '#/parked', viewer: '#/orders' };

function parseRoute(hash) {
  const [path = '', query = ''] = hash.replace(/^#\/?/, '').split('?');
  let parts;
  try {
    parts = path.split('/').filter(Boolean).map(decodeURIComponent);
  } catch {
    parts = [];
  }
  if (parts[0] === 'orders' && parts[1]) return { view: 'order', orderId: parts[1], key: `order:${parts[1]}` };
  if (parts[0] === 'approvals' || parts[0] === 'parked') return { view: parts[0], key: parts[0] };
  if (parts[0] === 'orders') return { view: 'orders', params: new URLSearchParams(query), key: `orders?${query}` };
  return { view: null, key: '' };
}

/** The skip link moves focus itself: following "#main" would change the route. */
function skipToContent(e) {
  e.preventDefault();
  document.querySelector('main h1')?.focus();
}

function Header({ who, route, live, setLive, signOut }) {
  const current = route.view === 'order' ? null : route.view;
  return html`<header class="top">
    <a class="skip" href="#main" onClick=${skipToContent}> Skip to content </a>
    <p class="brand">Orders console</p>
    <nav aria-label="Views">
      <ul>
        ${VIEWS.map(
          (v) =>
            html`<li key=${v.view}>
              <a href=${v.href} aria-current=${current === v.view ? 'page' : undefined}>${v.label}</a>
            </li>`,
        )}
      </ul>
    </nav>
    <div class="who">
      <span>Signed in as <strong>${who.identity}</strong> (<span class="role">${who.role}</span>)</span>
      <label class="toggle"
        ><input type="checkbox" checked=${live} onChange=${(e) => setLive(e.currentTarget.checked)} /> Live
        updates</label
      >
      <button type="button" onClick=${signOut}>Sign out</button>
    </div>
  </header>`;
}

function CurrentView({ route }) {
  switch (route.view) {
    case 'approvals':
      return html`<${ApprovalsView} />`;
    case 'parked':
      return html`<${ParkedView} />`;
    case 'order':
      return html`<${OrderView} orderId=${route.orderId} />`;
    default:
      return html`<${OrdersView} key=${route.key} params=${route.params ?? new URLSearchParams()} />`;
  }
}

function App() {
  const [who, setWho] = useState(undefined); // undefined: checking the stored token; null: signed out
  const [notice, setNotice] = useState('');
  const [route, setRoute] = useState(() => parseRoute(location.hash));
  const [live, setLiveState] = useState(() => sessionStorage.getItem(LIVE_KEY) !== 'off');
  const [settings, setSettings] = useState(null);
  const firstView = useRef(true);

  const setLive = (on) => {
    sessionStorage.setItem(LIVE_KEY, on ? 'on' : 'off');
    setLiveState(on);
  };
  const signOut = (message = '') => {
    session.clear();
    setNotice(message);
    setWho(null);
  };

  useEffect(() => {
    const onHash = () => setRoute(parseRoute(location.hash));
    addEventListener('hashchange', onHash);
    onSignedOut((problem) => signOut(`Signed out: ${problem.detail}`));
    loadSettings().then(setSettings, () => setSettings({}));
    if (!session.token()) setWho(null);
    else whoAmI().then(setWho, (err) => signOut(describeError(err)));
    return () => removeEventListener('hashchange', onHash);
  }, []);

  // A signed-in person with no view chosen starts where their work is.
  useEffect(() => {
    if (who && !route.view) location.replace(HOME[who.role] ?? '#/orders');
  }, [who, route.view]);

  // On every view change after the first, focus moves to the new heading (screen readers announce it).
  useEffect(() => {
    if (!who || !route.view) return;
    const title = VIEWS.find((v) => v.view === route.view)?.label ?? route.orderId;
    document.title = `${title} · Orders console`;
    if (firstView.current) firstView.current = false;
    else document.querySelector('main h1')?.focus();
  }, [who, route.key]);

  if (who === undefined) return html`<p class="boot">Checking your session…</p>`;
  if (who === null)
    return html`<${SignIn}
      notice=${notice}
      onSignedIn=${(w) => {
        firstView.current = false;
        setNotice('');
        setWho(w);
      }}
    />`;
  return html`<${ConsoleContext.Provider} value=${{ ...who, live, settings }}>
    <${Header} who=${who} route=${route} live=${live} setLive=${setLive} signOut=${() => signOut('Signed out.')} />
    <main id="main">${route.view && html`<${CurrentView} route=${route} />`}</main>
  </${ConsoleContext.Provider}>`;
}

render(html`<${App} />`, document.getElementById('app'));
