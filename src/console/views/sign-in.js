/**
 * Sign in with an API bearer token. The API says whose it is and its role (`GET /me`); the token
 * is then kept in this tab's sessionStorage only: another tab signs in on its own, and closing
 * the tab forgets it.
 */
import { describeError, session, whoAmI } from '../api.js';
import { html, useEffect, useRef, useState } from '../lib.js';

export function SignIn({ notice, onSignedIn }) {
  const [token, setToken] = useState('');
  const [state, setState] = useState({ busy: false, error: null });
  const input = useRef(null);
  useEffect(() => input.current?.focus(), []);
  const submit = async (e) => {
    e.preventDefault();
    const value = token.trim();
    if (!value) return;
    setState({ busy: true, error: null });
    try {
      const who = await whoAmI(value);
      session.save(value);
      onSignedIn(who);
    } catch (err) {
      setState({ busy: false, error: err.status === 401 ? 'The API does not accept this token.' : describeError(err) });
      input.current?.focus();
    }
  };
  return html`<main id="main" class="sign-in">
    <h1>Orders console</h1>
    <p class="lead">For approvers and operators: approve orders, retry parked ones, follow any order.</p>
    ${notice && html`<p class="note" role="status">${notice}</p>`}
    <form onSubmit=${submit} aria-describedby="token-help">
      <label for="token">API token</label>
      <input
        id="token"
        ref=${input}
        type="password"
        autocomplete="off"
        required
        value=${token}
        onInput=${(e) => setToken(e.currentTarget.value)}
        aria-invalid=${state.error ? 'true' : 'false'}
        aria-errormessage="token-error"
      />
      <p id="token-help" class="hint">
        A bearer token from the API's <code>API_TOKENS</code>; its role (viewer, approver, operator) decides what you
        may do. Kept in this tab until you sign out or close it.
      </p>
      ${state.error && html`<p id="token-error" class="error" role="alert">${state.error}</p>`}
      <div class="buttons">
        <button type="submit" class="primary" disabled=${state.busy}>${state.busy ? 'Signing in…' : 'Sign in'}</button>
      </div>
    </form>
  </main>`;
}
