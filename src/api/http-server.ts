/**
 * The HTTP server the API runs in. Some requests never reach Express: Node's HTTP parser refuses
 * them first (headers over `maxHeaderSize`, 16 KiB by default; bytes that are not HTTP/1.1; a
 * Content-Length next to a Transfer-Encoding; a request slower than `requestTimeout` or
 * `headersTimeout`). Node would answer those with a bare status line; here they get the same
 * problem+json, request id, security headers and log line as every other error, then the
 * connection closes.
 */
import { randomUUID } from 'node:crypto';
import http from 'node:http';
import type { Duplex } from 'node:stream';
import type { Express } from 'express';
import type { Logger } from 'pino';
import { PROBLEM_CONTENT_TYPE, Problem, problemDetails } from './problem';
import { REQUEST_ID_HEADER } from './request-log';
import { RAW_SECURITY_HEADERS } from './security-headers';

/** The parser's error codes that are not a plain 400, as Node's own answers classify them. */
function parserProblem(code: string | undefined): Problem {
  switch (code) {
    case 'HPE_HEADER_OVERFLOW':
      return new Problem(
        'request-header-fields-too-large',
        'The request headers are larger than this server accepts; send fewer or shorter headers.',
      );
    case 'HPE_CHUNK_EXTENSIONS_OVERFLOW':
      return new Problem('payload-too-large', 'The chunk extensions of the request body are too large.');
    case 'ERR_HTTP_REQUEST_TIMEOUT':
      return new Problem('request-timeout', 'The request did not arrive in full in time; send it again.');
    default:
      return new Problem('invalid-request', 'The request is not valid HTTP/1.1 and could not be parsed.');
  }
}

/** A whole HTTP/1.1 response carrying `problem`, for writing straight to the socket. */
function rawProblemResponse(problem: Problem, requestId: string): string {
  // No path can be trusted from an unparsable request: the occurrence is named by its request id.
  const body = JSON.stringify(problemDetails(problem, `urn:uuid:${requestId}`, requestId));
  const headers: (readonly [string, string])[] = [
    ['Content-Type', `${PROBLEM_CONTENT_TYPE}; charset=utf-8`],
    ['Content-Length', String(Buffer.byteLength(body))],
    [REQUEST_ID_HEADER, requestId],
    ...RAW_SECURITY_HEADERS,
    ['Connection', 'close'],
  ];
  const head = headers.map(([name, value]) => `${name}: ${value}\r\n`).join('');
  return `HTTP/1.1 ${problem.status} ${http.STATUS_CODES[problem.status] ?? ''}\r\n${head}\r\n${body}`;
}

/**
 * The `clientError` listener: mirrors Node's default (answer only while nothing of a response is
 * on the wire, then close) with a problem for an answer.
 */
function answerClientError(log: Logger) {
  return (err: NodeJS.ErrnoException, socket: Duplex): void => {
    // Node's own check: a response already on this connection must not be followed by a second one.
    const inFlight = (socket as Duplex & { _httpMessage?: http.ServerResponse | null })._httpMessage;
    if (err.code === 'ECONNRESET' || !socket.writable || inFlight?.headersSent) {
      socket.destroy();
      return;
    }
    const requestId = randomUUID();
    const problem = parserProblem(err.code);
    log.warn(
      { reqId: requestId, code: err.code, status: problem.status },
      'request refused by the HTTP parser before routing',
    );
    socket.end(rawProblemResponse(problem, requestId), () => socket.destroy());
  };
}

/** An HTTP server for `app` that answers parser-level errors as problems. */
export function createApiServer(app: Express, log: Logger, options: http.ServerOptions = {}): http.Server {
  const server = http.createServer(options, app);
  server.on('clientError', answerClientError(log));
  return server;
}
