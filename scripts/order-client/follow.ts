/**
 * `npm run order -- … --wait`: follows one order through GET /orders/:id until it ends, printing
 * each status transition as it appears, and says how it ended in the exit code. The API has no
 * push or long-poll for an order, so this polls (every 500 ms, honouring 429's Retry-After).
 */
import type { StatusTransition } from '../../src/workflows/definitions';

/** How the order ended, as the process's exit code. 1 stays "a request failed", 64 "bad usage". */
export const WAIT_EXIT_CODES = {
  COMPLETED: 0,
  TRANSACTION_REVOKED: 2,
  REJECTED: 3,
  CANCELLED: 4,
  NEEDS_ATTENTION: 5,
  TIMEOUT: 6,
} as const;
const REQUEST_FAILED = 1;

export const DEFAULT_WAIT_TIMEOUT_MS = 5 * 60_000;
export const POLL_INTERVAL_MS = 500;

/** "300", "90s", "5m", "1h" (bare numbers are seconds) → milliseconds. */
export function parseWaitTimeout(text: string): number {
  const match = /^(\d+(?:\.\d+)?)\s*(ms|s|m|h)?$/.exec(text.trim());
  if (!match) throw new Error(`--wait-timeout expects a duration such as 90s, 5m or 1h (got "${text}")`);
  const unit = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 }[(match[2] ?? 's') as 'ms' | 's' | 'm' | 'h'];
  return Number(match[1]) * unit;
}

export interface Reading {
  status: number;
  body: unknown;
  /** Seconds, from a Retry-After header. */
  retryAfter?: number;
}

/** GET /orders/:id, quietly (the follower prints what matters). */
export async function readOrder(url: string, headers: Record<string, string>): Promise<Reading> {
  const res = await fetch(url, { headers, signal: AbortSignal.timeout(15_000) });
  const text = await res.text();
  let body: unknown = text;
  try {
    body = JSON.parse(text);
  } catch {
    // not JSON: kept as text
  }
  const retryAfter = Number(res.headers.get('retry-after'));
  return { status: res.status, body, ...(retryAfter > 0 ? { retryAfter } : {}) };
}

export interface FollowOptions {
  orderId: string;
  /** GET /orders/:id; throws when the API cannot be reached. */
  read: () => Promise<Reading>;
  write: (line: string) => void;
  timeoutMs?: number;
  intervalMs?: number;
  sleep?: (ms: number) => Promise<void>;
  now?: () => number;
}

interface OrderBody {
  source?: 'query' | 'records';
  status?: string | null;
  reason?: string;
  transitions?: StatusTransition[];
  approval?: { reasons?: string[] } | null;
  parked?: { reason?: string; step?: string } | null;
  lastError?: { step?: string; message?: string } | null;
  title?: string;
  detail?: string;
}

const clock = (iso: string) => {
  const d = new Date(iso);
  if (Number.isNaN(d.getTime())) return iso;
  const pad = (n: number, w = 2) => String(n).padStart(w, '0');
  return `${pad(d.getHours())}:${pad(d.getMinutes())}:${pad(d.getSeconds())}.${pad(d.getMilliseconds(), 3)}`;
};

export function formatTransition(t: StatusTransition): string {
  const move = t.from ? `${t.from} → ${t.to}` : `→ ${t.to}`;
  const attempt = t.attempt && t.attempt > 1 ? ` (attempt ${t.attempt})` : '';
  return `  ${clock(t.at)}  ${move.padEnd(42)} ${t.reason}${attempt}`;
}

const describeDuration = (ms: number) => (ms % 60_000 === 0 ? `${ms / 60_000} min` : `${Math.round(ms / 1000)} s`);

/** Follows the order until it ends, is parked, a request fails for good, or the timeout. Returns the exit code. */
export async function followOrder(opts: FollowOptions): Promise<number> {
  const { orderId, read, write } = opts;
  const timeoutMs = opts.timeoutMs ?? DEFAULT_WAIT_TIMEOUT_MS;
  const interval = opts.intervalMs ?? POLL_INTERVAL_MS;
  const sleep = opts.sleep ?? ((ms: number) => new Promise<void>((r) => setTimeout(r, ms)));
  const now = opts.now ?? Date.now;
  const deadline = now() + timeoutMs;
  const cmd = (flag: string) => `npm run order -- --${flag} ${orderId}`;
  let printed = 0;
  let lastStatus: string | null | undefined;
  let trouble: string | null = null; // the note printed while the API cannot answer
  let noWorkerNoted = false;
  let approvalNotedAt = -1; // the transition count when the approval note was printed

  write(`\nFollowing ${orderId} (up to ${describeDuration(timeoutMs)}; Ctrl-C stops following, not the order):`);
  for (;;) {
    let wait = interval;
    let reading: Reading | null = null;
    try {
      reading = await read();
    } catch (err) {
      const note = `  … the API cannot be reached (${err instanceof Error ? err.message : String(err)}); still trying`;
      if (trouble === null) write(note);
      trouble = note;
    }
    if (reading && reading.status === 429) {
      wait = Math.max(interval, (reading.retryAfter ?? 1) * 1000);
    } else if (reading && reading.status >= 500) {
      if (trouble === null) write(`  … the API answered ${reading.status}; still trying`);
      trouble = String(reading.status);
    } else if (reading && reading.status !== 200) {
      const body = reading.body as OrderBody;
      write(
        `GET /orders/${orderId} → ${reading.status}: ${body?.detail ?? body?.title ?? JSON.stringify(reading.body)}`,
      );
      return REQUEST_FAILED;
    } else if (reading) {
      if (trouble !== null) write('  … the API answers again');
      trouble = null;
      const body = reading.body as OrderBody;
      const transitions = Array.isArray(body.transitions) ? body.transitions : [];
      for (; printed < transitions.length; printed++) write(formatTransition(transitions[printed]!));
      const status = body.status ?? null;
      if (body.source === 'records' && body.reason !== 'closed') {
        if (!noWorkerNoted)
          write(
            `  … no worker answers the order's query (Temporal's records say ${status ?? 'no status yet'}); waiting`,
          );
        else if (status !== lastStatus) write(`  … Temporal's records now say ${status}`);
        noWorkerNoted = true;
      } else noWorkerNoted = false;
      lastStatus = status;

      const code = status ? (WAIT_EXIT_CODES as Record<string, number>)[status] : undefined;
      if (status === 'NEEDS_ATTENTION') {
        const why = body.parked?.reason ?? body.lastError?.message ?? 'see the order';
        write(`Parked in NEEDS_ATTENTION (exit code ${WAIT_EXIT_CODES.NEEDS_ATTENTION}): ${why}`);
        write(`Once the cause is fixed, retry it:  ${cmd('retry')} --wait`);
        write(`or cancel it:                       ${cmd('cancel')} --wait`);
        return WAIT_EXIT_CODES.NEEDS_ATTENTION;
      }
      if (code !== undefined) {
        write(`Ended ${status} (exit code ${code}).`);
        return code;
      }
      if (status === 'AWAITING_APPROVAL' && approvalNotedAt !== transitions.length) {
        approvalNotedAt = transitions.length;
        const reasons = body.approval?.reasons?.length ? ` (${body.approval.reasons.join('; ')})` : '';
        write(`  … waits for an approver's decision${reasons}. Still following; in another terminal:`);
        write(`      ${cmd('approve')} [--comment "..."]`);
        write(`   or ${cmd('reject')} [--comment "..."]`);
      }
    }
    const left = deadline - now();
    if (left <= 0) {
      write(
        `Still ${lastStatus ?? 'unknown'} after ${describeDuration(timeoutMs)}; stopped following (exit code ` +
          `${WAIT_EXIT_CODES.TIMEOUT}; the order carries on).`,
      );
      write(`Follow it again: ${cmd('show')} --wait [--wait-timeout 10m]`);
      return WAIT_EXIT_CODES.TIMEOUT;
    }
    await sleep(Math.min(wait, left));
  }
}
