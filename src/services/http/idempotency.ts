/**
 * Idempotency at the database constraint: the key is claimed (UNIQUE (scope, key)) in the
 * same transaction as the effect and its response, so either both exist or neither does.
 * A repeat, even one racing the first request, waits on the constraint and then reads the
 * original response. The same key with a different body is refused (422).
 */
import type { RequestHandler } from 'express';
import type { z } from 'zod';
import type { Database, Queryable } from '../db/database';
import { ServiceError, rejection, type Outcome } from './outcome';
import { parseInput } from './validation';

export const IDEMPOTENCY_KEY_HEADER = 'Idempotency-Key';
/** Set to "true" on a response replayed from the ledger of keys. */
export const REPLAYED_HEADER = 'Idempotent-Replayed';

export interface IdempotentResult extends Outcome {
  replayed: boolean;
}

/**
 * `supersede`: a later fact that outranks the stored answer of a repeat (a dispatch voided
 * since it was made must not be replayed as shipped); null keeps the stored answer.
 */
export async function runIdempotent(
  db: Database,
  request: { scope: string; key: string; body: unknown },
  effect: (tx: Queryable) => Promise<Outcome>,
  supersede?: (tx: Queryable) => Promise<Outcome | null>,
): Promise<IdempotentResult> {
  const requestJson = JSON.stringify(request.body ?? null);
  return db.transaction(async (tx) => {
    const claimed = await tx.query(
      `INSERT INTO idempotency_keys (scope, key, request) VALUES ($1, $2, $3::jsonb)
       ON CONFLICT (scope, key) DO NOTHING RETURNING key`,
      [request.scope, request.key, requestJson],
    );
    if (claimed.length === 0) {
      // jsonb equality ignores key order and whitespace: the same request serialised differently still matches.
      const [stored] = await tx.query<{ same_request: boolean; status_code: number; response: unknown }>(
        `SELECT request = $3::jsonb AS same_request, status_code, response FROM idempotency_keys
         WHERE scope = $1 AND key = $2`,
        [request.scope, request.key, requestJson],
      );
      if (!stored) throw new Error(`idempotency key ${request.scope}/${request.key} vanished`);
      if (!stored.same_request) {
        return {
          ...rejection(
            422,
            'idempotency_key_reused',
            `Idempotency-Key "${request.key}" was already used with a different request`,
          ),
          replayed: false,
        };
      }
      const superseding = await supersede?.(tx);
      if (superseding) return { ...superseding, replayed: false };
      return { status: stored.status_code, body: stored.response, replayed: true };
    }
    const outcome = await effect(tx);
    await tx.query(`UPDATE idempotency_keys SET status_code = $3, response = $4::jsonb WHERE scope = $1 AND key = $2`, [
      request.scope,
      request.key,
      outcome.status,
      JSON.stringify(outcome.body),
    ]);
    return { ...outcome, replayed: false };
  });
}

const MAX_KEY_LENGTH = 255;

/** An Express handler for an effectful endpoint: header check, body validation, idempotent effect. */
export function idempotentHandler<S extends z.ZodType>(options: {
  db: Database;
  scope: string;
  schema: S;
  effect: (tx: Queryable, input: z.output<S>, key: string) => Promise<Outcome>;
  /** Checked on a repeat of the key, before its stored answer (see runIdempotent). */
  supersede?: (tx: Queryable, key: string) => Promise<Outcome | null>;
}): RequestHandler {
  return async (req, res) => {
    const key = req.get(IDEMPOTENCY_KEY_HEADER);
    if (!key || key.length > MAX_KEY_LENGTH) {
      throw new ServiceError(
        400,
        'idempotency_key_required',
        `an ${IDEMPOTENCY_KEY_HEADER} header of 1 to ${MAX_KEY_LENGTH} characters is required`,
      );
    }
    const input = parseInput(options.schema, req.body);
    const result = await runIdempotent(
      options.db,
      { scope: options.scope, key, body: req.body as unknown },
      (tx) => options.effect(tx, input, key),
      options.supersede && ((tx) => options.supersede!(tx, key)),
    );
    res.status(result.status).set(REPLAYED_HEADER, String(result.replayed)).json(result.body);
  };
}
