/**
 * Request bodies: JSON only, size-limited, validated by a zod schema. Whatever goes wrong while
 * body-parser reads a body is the client's doing and becomes a 4xx problem right here: too large
 * (413, counted after decompression), a content coding it does not decode (415), bytes that are
 * not what their Content-Encoding says (400), malformed JSON (400).
 */
import zlib from 'node:zlib';
import express, { type NextFunction, type Request, type RequestHandler, type Response } from 'express';
import { parse as parseTree, type ValueNode } from '@humanwhocodes/momoa';
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

/** The content codings body-parser decodes (`identity` aside); any other is 415. */
const CONTENT_CODINGS: readonly string[] = [
  'gzip',
  'deflate',
  'br',
  ...('createZstdDecompress' in zlib ? ['zstd'] : []),
];

/**
 * A body-parser error as the problem it is. body-parser and raw-body tag what they detect with
 * a `type`; a failing decompression stream is passed on untagged, with status 400. Anything
 * else (a server fault such as a body read twice) is returned unchanged, to become a 500.
 */
function bodyReadProblem(err: unknown, req: Request, limitBytes: number): unknown {
  const { type, status } = (typeof err === 'object' && err !== null ? err : {}) as {
    type?: unknown;
    status?: unknown;
  };
  switch (type) {
    case 'entity.too.large':
      return new Problem(
        'payload-too-large',
        `The request body is larger than this API accepts: ${limitBytes} bytes, counted after decompression.`,
      );
    case 'entity.parse.failed':
      return new Problem('malformed-json', 'The request body is not valid JSON.');
    case 'encoding.unsupported':
      return new Problem(
        'unsupported-media-type',
        `This Content-Encoding is not supported: send the body unencoded or as one of ${CONTENT_CODINGS.join(', ')}.`,
        { headers: { 'Accept-Encoding': CONTENT_CODINGS.join(', ') } },
      );
    case 'charset.unsupported':
      return new Problem('unsupported-media-type', 'Send the body as application/json (UTF-8).', {
        headers: { 'Accept-Post': 'application/json' },
      });
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new Problem('invalid-request', 'The request body could not be read.');
  }
  if (type === undefined && status === 400) {
    const encoding = (req.get('content-encoding') ?? 'identity').trim().toLowerCase();
    if (encoding !== 'identity') {
      // Only a coding body-parser decodes gets this far, so naming it echoes nothing arbitrary.
      const named = CONTENT_CODINGS.includes(encoding) ? ` (${encoding})` : '';
      return new Problem(
        'malformed-body',
        `The request body could not be decoded as its Content-Encoding${named} says: ` +
          'it is corrupt, truncated or encoded otherwise.',
      );
    }
    return new Problem('invalid-request', 'The request body could not be read.');
  }
  return err;
}

/** Runs a body-parser middleware, turning what it reports about the body into problems. */
function readingBody(parser: RequestHandler, limitBytes: number): RequestHandler {
  return (req, res, next) => {
    void parser(req, res, (err?: unknown) => {
      next(err === undefined || err === null || typeof err === 'string' ? err : bodyReadProblem(err, req, limitBytes));
    });
  };
}

/** The raw bytes, for signature verification before parsing. */
export function rawBody(limitBytes: number): RequestHandler {
  return readingBody(express.raw({ type: () => true, limit: limitBytes }), limitBytes);
}

/** Parsed JSON (objects and arrays only), read as `parseJson` reads it. */
export function jsonBody(limitBytes: number): RequestHandler {
  const read = rawBody(limitBytes);
  return (req, res, next) =>
    read(req, res, (err?: unknown) => {
      if (err) return next(err);
      let body: unknown;
      try {
        body = parseJson(Buffer.isBuffer(req.body) ? req.body : Buffer.alloc(0));
      } catch (parseError) {
        return next(parseError);
      }
      if (typeof body !== 'object' || body === null) {
        return next(new Problem('malformed-json', 'The request body must be a JSON object.'));
      }
      req.body = body;
      next();
    });
}

const utf8 = new TextDecoder('utf-8', { fatal: true });

/**
 * The body as JSON, strictly: UTF-8 that decodes without replacement characters, and no object
 * with the same key twice. JSON.parse keeps the last of duplicate keys, so a body could carry a
 * value the client's own checks never saw; such a body is refused naming each repeated key.
 */
export function parseJson(raw: Buffer): unknown {
  let text: string;
  let value: unknown;
  try {
    text = utf8.decode(raw);
    value = JSON.parse(text) as unknown;
  } catch {
    throw new Problem('malformed-json', 'The request body is not valid JSON in UTF-8.');
  }
  const repeated = duplicateKeys(parseTree(text).body, []);
  if (repeated.length > 0) {
    throw new Problem('validation-failed', 'The request body has a key more than once in one object; see errors.', {
      errors: [...new Set(repeated)].map((field) => ({
        field,
        message: 'this key appears more than once; send it once',
      })),
    });
  }
  return value;
}

function duplicateKeys(node: ValueNode, path: (string | number)[]): string[] {
  if (node.type === 'Array') return node.elements.flatMap((e, i) => duplicateKeys(e.value, [...path, i]));
  if (node.type !== 'Object') return [];
  const seen = new Set<string>();
  const found: string[] = [];
  for (const member of node.members) {
    const key = member.name.type === 'String' ? member.name.value : member.name.name;
    if (seen.has(key)) found.push([...path, key].join('.'));
    seen.add(key);
    found.push(...duplicateKeys(member.value, [...path, key]));
  }
  return found;
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
