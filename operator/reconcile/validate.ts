// Validation of a TenantSync as read from the API server: the zod schema plus what only the operator
// can check (a cron expression the CronJob controller would reject). Failures become InvalidSpec.
import type { z } from 'zod';
import { tenantSyncSchema, type TenantSync } from '../api/tenantsync.js';
import { effectiveSchedule, ScheduleError, type EffectiveSchedule } from './schedule.js';

export type Validation =
  | { readonly ok: true; readonly tenantSync: TenantSync; readonly schedule: EffectiveSchedule }
  | { readonly ok: false; readonly message: string };

/** `spec.source.domain: must be a host name …; spec.interval: …` — every problem, each with its field. */
export function formatZodError(error: z.ZodError): string {
  return error.issues
    .map((issue) => {
      const path = issue.path.map((p) => (typeof p === 'number' ? `[${p}]` : `.${String(p)}`)).join('').replace(/^\./, '');
      return path === '' ? issue.message : `${path}: ${issue.message}`;
    })
    .join('; ');
}

/** Validates an object from the cache; never throws. */
export function validateTenantSync(raw: unknown): Validation {
  const parsed = tenantSyncSchema.safeParse(raw);
  if (!parsed.success) return { ok: false, message: formatZodError(parsed.error) };
  const ts = parsed.data;
  try {
    const schedule = effectiveSchedule(ts.spec, ts.metadata.namespace ?? '', ts.metadata.name);
    return { ok: true, tenantSync: ts, schedule };
  } catch (err) {
    if (err instanceof ScheduleError) return { ok: false, message: err.message };
    throw err;
  }
}
