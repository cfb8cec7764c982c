import { pino, type DestinationStream, type Logger } from 'pino';
import type { Config } from './config.js';

/**
 * Paths that hold secrets wherever something logs them: the Authorization
 * header (a request, or headers on their own), the configured keys, any
 * api_key field.
 */
export const REDACTED_PATHS = [
  'req.headers.authorization',
  'request.headers.authorization',
  'headers.authorization',
  'authorization',
  'config.API_KEYS',
  'API_KEYS',
  '*.api_key',
  'api_key',
];

/** JSON lines on stdout, or on `destination` (tests read them there). */
export function createLogger(config: Pick<Config, 'LOG_LEVEL'>, destination?: DestinationStream): Logger {
  return pino(
    {
      level: config.LOG_LEVEL,
      base: { service: 'modelyard' },
      redact: { paths: REDACTED_PATHS, censor: '[redacted]' },
    },
    destination,
  );
}
