import pino, { type Logger } from 'pino';
import { loadConfig, logSchema } from './config';

/** One JSON logger per process; `component` says which part of the stack wrote the line. */
export function createLogger(component: string, level = loadConfig(logSchema).LOG_LEVEL): Logger {
  return pino({ level, base: { component } });
}
