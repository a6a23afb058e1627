// pino JSON logs for the operator: one root logger per process, child loggers that put
// namespace/name (and controller, runnable, ...) on every line they write. The process is named by
// `logger` (not pino's `name`), so `name` on a line is always the object's name and appears once.
import { pino, type DestinationStream, type Level, type Logger } from 'pino';

export type { Logger } from 'pino';

export interface LoggerOptions {
  /** Minimum level (default info; LOG_LEVEL-style names). */
  level?: Level | 'silent';
  /** Added as `logger` on every line (default tenant-sync-operator); `name` is left to the object a line is about. */
  name?: string;
  /** Where lines go (default stdout); tests pass a stream to read them. */
  destination?: DestinationStream;
}

/** Keys that may carry a secret, at the top of a line and up to two objects down (pino's `*` is one level). */
const secretKeys = ['token', 'apiKey', 'password', 'headers.authorization', 'headers.Authorization'];
const redactedPaths = secretKeys.flatMap((key) => [key, `*.${key}`, `*.*.${key}`]);

/** Creates the root JSON logger. Secrets never go to the logger; redact keys that might carry them anyway. */
export function createLogger(opts: LoggerOptions = {}): Logger {
  return pino(
    {
      level: opts.level ?? 'info',
      base: { logger: opts.name ?? 'tenant-sync-operator', pid: process.pid },
      timestamp: pino.stdTimeFunctions.isoTime,
      formatters: { level: (label) => ({ level: label }) },
      redact: { paths: redactedPaths, censor: '[redacted]' },
    },
    opts.destination ?? pino.destination({ dest: 1, sync: false }),
  );
}

/**
 * A logger that writes namespace and name of one object on every line, exactly once each: `extra` cannot
 * add a second `namespace`/`name`. pino appends bindings, so pass a logger that does not bind them yet
 * (the root or a component child), and do not log `name`/`namespace` fields through the result.
 */
export function objectLogger(logger: Logger, obj: { namespace?: string | undefined; name: string }, extra: Record<string, unknown> = {}): Logger {
  const { namespace: _namespace, name: _name, ...rest } = extra;
  return logger.child({ ...rest, namespace: obj.namespace ?? '', name: obj.name });
}

/** A logger that discards everything (tests that do not read logs). */
export function silentLogger(): Logger {
  return pino({ level: 'silent' });
}

/** The loggable part of an error: stable code (when it has one) and message; the stack only of an unexpected one. */
export function errorFields(err: unknown): { code?: string; message: string; stack?: string } {
  if (err instanceof Error) {
    const code = (err as { code?: unknown }).code;
    if (typeof code === 'string') return { code, message: err.message };
    // No code: not an error the operator expects (a TypeError, say), so the log says where it came from.
    return err.stack === undefined ? { message: err.message } : { message: err.message, stack: err.stack };
  }
  return { message: String(err) };
}
