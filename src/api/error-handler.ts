/**
 * The last stops of the middleware chain: unknown routes, and every thrown error rendered as
 * a problem. Unexpected errors are logged with their stack and answered with a bare 500.
 */
import type { NextFunction, Request, Response } from 'express';
import { Problem, sendProblem } from './problem';
import { temporalProblem } from './temporal-errors';

export function unknownRoute(_req: Request, _res: Response, next: NextFunction): void {
  next(new Problem('not-found', 'There is no such route. See /openapi.json for the routes this API serves.'));
}

/** Errors raised by body-parser carry a `type`; map the ones a client can cause. */
function bodyParserProblem(err: unknown): Problem | null {
  if (typeof err !== 'object' || err === null || !('type' in err)) return null;
  switch (err.type) {
    case 'entity.too.large':
      return new Problem('payload-too-large', 'The request body is larger than this API accepts.');
    case 'entity.parse.failed':
      return new Problem('malformed-json', 'The request body is not valid JSON.');
    case 'encoding.unsupported':
    case 'charset.unsupported':
      return new Problem(
        'unsupported-media-type',
        'Send the body as application/json (UTF-8, no content encoding other than gzip or deflate).',
      );
    case 'request.aborted':
    case 'request.size.invalid':
    case 'stream.encoding.set':
      return new Problem('invalid-request', 'The request body could not be read.');
    default:
      return null;
  }
}

export function errorHandler(err: unknown, req: Request, res: Response, next: NextFunction): void {
  if (res.headersSent) {
    next(err);
    return;
  }
  const problem = err instanceof Problem ? err : (bodyParserProblem(err) ?? temporalProblem(err));
  if (problem) {
    // 503s are operational signals: keep the cause in the log line, not in the response.
    if (problem.status >= 500 && err !== problem && err instanceof Error) res.err = err;
    sendProblem(req, res, problem);
    return;
  }
  res.err = err instanceof Error ? err : new Error(String(err));
  sendProblem(
    req,
    res,
    new Problem('internal-error', 'Something went wrong on our side. Quote the requestId when reporting it.'),
  );
}
