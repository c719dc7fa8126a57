/**
 * Preact (a 4 kB React-like view library) and htm (JSX-like templates in plain JavaScript), as
 * the API serves them from node_modules (src/api/console.ts): no build step, no CDN.
 *   html`<p class="note">${text}</p>`   renders like JSX <p className="note">{text}</p>
 */
import { createContext, h, render } from './vendor/preact.js';
import htm from './vendor/htm.js';

export { createContext, render };
export { useCallback, useContext, useEffect, useMemo, useRef, useState } from './vendor/hooks.js';
export const html = htm.bind(h);
