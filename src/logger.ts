/**
 * Logging for every role: pino, one JSON object per line for machines (CI, docker, log
 * shippers) and pino-pretty's readable lines on a terminal. `LOG_FORMAT` overrides the guess.
 */
import pino, { type DestinationStream, type Logger } from 'pino';
import pretty from 'pino-pretty';
import { type LOG_FORMATS, loadConfig, logSchema } from './config';

export type LogFormat = (typeof LOG_FORMATS)[number];

type Env = Record<string, string | undefined>;

/** `LOG_FORMAT` when set; otherwise pretty on a terminal, JSON anywhere else. */
export function chooseLogFormat(env: Env = process.env, isTTY = Boolean(process.stdout.isTTY)): LogFormat {
  return loadConfig(logSchema, env).LOG_FORMAT ?? (isTTY ? 'pretty' : 'json');
}

// The last line of webpack's stats, which the SDK's bundler logs whole, at info, when a worker
// (or a replay) bundles the workflow code: a listing of every bundled module.
const WEBPACK_SUMMARY = /\nwebpack \d+\.\d+\.\d+ compiled[^\n]*$/;

export function isBundleListing(message: string): boolean {
  return WEBPACK_SUMMARY.test(message);
}

/** The `WARNING in …` blocks of a webpack listing, or null when it has none. */
export function bundleWarnings(listing: string): string | null {
  const start = listing.search(/^WARNING in /m);
  if (start < 0) return null;
  const end = listing.search(WEBPACK_SUMMARY);
  return listing.slice(start, end > start ? end : undefined).trim();
}

const INFO = pino.levels.values.info!;

/**
 * What the SDK says at start-up about the worker set's design rather than a problem: bulkhead
 * workers have no workflows and no Nexus services, and each of the eight workers reports its state
 * changes. Kept at debug, so a start-up shows what matters.
 */
const BY_DESIGN =
  /^(No workflows registered|No activities registered|No Nexus services registered|Worker state changed)/;

/**
 * The module listing goes down to debug (`LOG_LEVEL=debug` shows it); its warnings, if any,
 * stay visible at warn. Errors are logged at error by the SDK and not touched here.
 */
function demoteBundleListing(this: Logger, args: Parameters<pino.LogFn>, method: pino.LogFn, level: number): void {
  const [first, second] = args as unknown[];
  const message = typeof first === 'string' ? first : second;
  if (typeof message === 'string' && BY_DESIGN.test(message)) {
    if (this.isLevelEnabled('debug')) method.apply(this.child({}, { level: 'debug' }), args);
    return;
  }
  if (level !== INFO || typeof message !== 'string' || !isBundleListing(message)) {
    method.apply(this, args);
    return;
  }
  const fields = typeof first === 'object' && first !== null ? first : {};
  const warnings = bundleWarnings(message);
  if (warnings) this.warn(fields, `workflow bundle built with warnings:\n${warnings}`);
  this.debug(fields, message);
}

let sharedPrettyStream: DestinationStream | undefined;

function prettyStream(destination?: DestinationStream | NodeJS.WritableStream): DestinationStream {
  const options = {
    // Synchronous, so a process that exits right after logging (a failed start) loses nothing.
    sync: true,
    singleLine: true,
    translateTime: 'SYS:HH:MM:ss.l',
    ignore: 'pid,hostname,component',
    messageFormat: '{if component}[{component}] {end}{msg}',
  };
  // Colours only where they will be seen as colours (a test's buffer is no terminal).
  if (destination)
    return pretty({ ...options, destination, colorize: Boolean((destination as { isTTY?: boolean }).isTTY) });
  // One stream per process: every logger of the process writes through it.
  return (sharedPrettyStream ??= pretty(options));
}

export interface LoggerOptions {
  /** Defaults to `chooseLogFormat()`. */
  format?: LogFormat;
  /** Defaults to stdout. */
  destination?: DestinationStream | NodeJS.WritableStream;
}

/** One logger per part of a process; `component` says which part of the stack wrote the line. */
export function createLogger(
  component: string,
  level = loadConfig(logSchema).LOG_LEVEL,
  options: LoggerOptions = {},
): Logger {
  const format = options.format ?? chooseLogFormat();
  const stream = format === 'pretty' ? prettyStream(options.destination) : options.destination;
  return pino({ level, base: { component }, hooks: { logMethod: demoteBundleListing } }, stream as DestinationStream);
}
