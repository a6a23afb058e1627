// The job's files: config and state in (validated with the contract's zod schemas, errors naming the
// field), state (atomic temp + rename) and result (≤ 4096 bytes) out.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { z } from 'zod';
import { jobConfigSchema, maxResultBytes, stateSchema, type JobConfig, type JobResult, type JobState } from './contract.js';
import { SyncError } from './core/errors.js';
import { compactResult } from './core/result-size.js';

/** `source.baseUrl: Invalid URL; sink.url: …` — every problem, each naming its field. */
export function describeZodError(error: z.ZodError): string {
  return error.issues.map((issue) => `${issue.path.length ? issue.path.join('.') : '(root)'}: ${issue.message}`).join('; ');
}

function readJson(path: string, what: string, code: 'CONFIG_INVALID' | 'STATE_INVALID'): unknown {
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    throw new SyncError(code, `cannot read the ${what} file ${path}: ${(error as Error).message}`);
  }
  try {
    return JSON.parse(text);
  } catch (error) {
    throw new SyncError(code, `the ${what} file ${path} is not valid JSON: ${(error as Error).message}`);
  }
}

/** The config, with the checks the schema cannot make (an http sink needs a url; stream names unique). */
export function parseConfig(value: unknown, origin = 'config'): JobConfig {
  const parsed = jobConfigSchema.safeParse(value);
  if (!parsed.success) throw new SyncError('CONFIG_INVALID', `${origin}: ${describeZodError(parsed.error)}`);
  const config = parsed.data;
  if (config.sink.type === 'http' && !config.sink.url) {
    throw new SyncError('CONFIG_INVALID', `${origin}: sink.url: required when sink.type is "http"`);
  }
  const names = config.source.streams.map((s) => s.name);
  const duplicate = names.find((name, index) => names.indexOf(name) !== index);
  if (duplicate) throw new SyncError('CONFIG_INVALID', `${origin}: source.streams: stream "${duplicate}" is listed twice`);
  return config;
}

export function loadConfig(path: string): JobConfig {
  return parseConfig(readJson(path, 'config', 'CONFIG_INVALID'), `config ${path}`);
}

export const emptyState: JobState = { version: 1, streams: {} };

/** The state file, or the empty state when the file does not exist yet (first run). */
export function loadState(path: string | undefined): JobState {
  if (path === undefined) return emptyState;
  let text: string;
  try {
    text = readFileSync(path, 'utf8');
  } catch (error) {
    if ((error as NodeJS.ErrnoException).code === 'ENOENT') return emptyState;
    throw new SyncError('STATE_INVALID', `cannot read the state file ${path}: ${(error as Error).message}`);
  }
  if (text.trim() === '') return emptyState;
  let value: unknown;
  try {
    value = JSON.parse(text);
  } catch (error) {
    throw new SyncError('STATE_INVALID', `the state file ${path} is not valid JSON: ${(error as Error).message}`);
  }
  const parsed = stateSchema.safeParse(value);
  if (!parsed.success) throw new SyncError('STATE_INVALID', `state ${path}: ${describeZodError(parsed.error)}`);
  return parsed.data;
}

/** Writes the state so that a crash leaves either the old or the new file, never half of one. */
export function writeStateAtomic(path: string, state: JobState): void {
  const temporary = `${path}.tmp-${process.pid}`;
  writeFileSync(temporary, `${JSON.stringify(state, null, 2)}\n`);
  renameSync(temporary, path);
}

/**
 * Writes the result, compacted to ≤ 4096 bytes. Written in place, not renamed: in a pod the path is the
 * termination-message file, a bind mount that cannot be replaced.
 */
export function writeResult(path: string, result: JobResult): JobResult {
  const compact = compactResult(result, maxResultBytes);
  writeFileSync(path, JSON.stringify(compact));
  return compact;
}
