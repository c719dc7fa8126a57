/**
 * Request bodies: JSON only, size-limited, validated by a zod schema. Body-parser failures
 * (too large, malformed) surface as errors the error handler turns into problems.
 */
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import type { z } from 'zod';
import { Problem } from './problem';
import { fieldErrors } from './schemas';

/** `application/json`, optionally with a UTF-8 charset; anything else is 415. */
export function requireJson(req: Request, _res: Response, next: NextFunction): void {
  const contentType = req.get('content-type') ?? '';
  const [mediaType = '', ...params] = contentType.split(';').map((part) => part.trim().toLowerCase());
  const charset = params
    .find((p) => p.startsWith('charset='))
    ?.slice('charset='.length)
    .replace(/"/g, '');
  if (mediaType !== 'application/json' || (charset !== undefined && charset !== 'utf-8')) {
    throw new Problem('unsupported-media-type', 'Send the body as application/json (UTF-8).', {
      headers: { 'Accept-Post': 'application/json' },
    });
  }
  next();
}

/** The raw bytes, for signature verification before parsing. */
export function rawBody(limitBytes: number): RequestHandler {
  return express.raw({ type: () => true, limit: limitBytes });
}

/** Parsed JSON (objects and arrays only). */
export function jsonBody(limitBytes: number): RequestHandler {
  return express.json({ type: () => true, limit: limitBytes, strict: true });
}

export function parseJson(raw: Buffer): unknown {
  try {
    return JSON.parse(raw.toString('utf8')) as unknown;
  } catch {
    throw new Problem('malformed-json', 'The request body is not valid JSON.');
  }
}

/** Validates a body with `schema`; field errors come back as a 422 problem. */
export function validBody<S extends z.ZodType>(schema: S, body: unknown): z.output<S> {
  const result = schema.safeParse(body);
  if (!result.success)
    throw new Problem('validation-failed', 'The request body failed validation; see errors.', {
      errors: fieldErrors(result.error),
    });
  return result.data;
}
