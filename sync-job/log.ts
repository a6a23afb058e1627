// The job's pino logger: JSON lines with tenantId and runId (streams add `stream`), secrets scrubbed
// from every line by the final write hook, so no log path can leak the API key or the sink token.
import pino, { type DestinationStream, type Logger } from 'pino';
import type { Redactor } from './core/redact.js';

export interface LoggerOptions {
  /** 1 = stdout (the contract), 2 = stderr (when the stdout sink owns stdout). */
  fd: 1 | 2;
  redact: Redactor;
  base: Record<string, string>;
  level?: string;
  /** Instead of fd (tests capture lines). */
  destination?: DestinationStream;
}

export function createLogger(options: LoggerOptions): Logger {
  return pino(
    {
      base: options.base,
      level: options.level ?? 'info',
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: ['apiKey', 'token', 'authorization', '*.authorization', 'headers.authorization'], censor: '[REDACTED]' },
      hooks: { streamWrite: options.redact },
    },
    options.destination ?? pino.destination({ fd: options.fd, sync: true }),
  );
}
