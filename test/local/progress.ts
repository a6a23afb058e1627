// What `npm run local` shows while the first runs go: one compact line per tenant (job phase, records,
// outcome), derived from the TenantSync, its run Job and the sink receiver. Pure, plus a tiny printer.
import type { V1Job } from '@kubernetes/client-node';
import type { TenantSyncStatus } from '../../operator/api/tenantsync.js';

export interface TenantView {
  name: string;
  /** The manual Job of the requested run (undefined until the operator created it). */
  job: V1Job | undefined;
  /** Name the run's Job will have. */
  jobName: string;
  status: TenantSyncStatus | undefined;
  /** Records of this tenant the sink receiver has accepted so far. */
  sinkRecords: number;
}

export type RunState = 'waiting' | 'running' | 'succeeded' | 'failed';

/** Pending, Running, Complete or Failed, as `kubectl get jobs` would summarise it. */
export function jobPhase(job: V1Job | undefined): string {
  if (job === undefined) return 'NotCreated';
  const conditions = job.status?.conditions ?? [];
  if (conditions.some((c) => c.type === 'Complete' && c.status === 'True')) return 'Complete';
  if (conditions.some((c) => c.type === 'Failed' && c.status === 'True')) return 'Failed';
  if ((job.status?.ready ?? 0) > 0 || (job.status?.active ?? 0) > 0) return 'Running';
  return 'Pending';
}

/** Where the requested run stands: done only once the operator has recorded its result. */
export function runState(view: TenantView): RunState {
  const lastRun = view.status?.lastRun;
  if (lastRun?.jobName !== view.jobName) return view.job === undefined ? 'waiting' : 'running';
  return lastRun.outcome === 'Succeeded' ? 'succeeded' : 'failed';
}

export function progressLine(view: TenantView, nameWidth: number): string {
  const lastRun = view.status?.lastRun?.jobName === view.jobName ? view.status.lastRun : undefined;
  const records = lastRun?.records !== undefined ? String(lastRun.records) : `${view.sinkRecords} so far`;
  const outcome = lastRun?.outcome ?? '-';
  const line = `${view.name.padEnd(nameWidth)}  job ${view.jobName} ${jobPhase(view.job).padEnd(10)} records ${records.padEnd(12)} outcome ${outcome}`;
  return lastRun?.message && runState(view) === 'failed' ? `${line} (${lastRun.message})` : line;
}

/**
 * Prints the lines: on a terminal, redrawn in place; otherwise (a pipe, a test) only lines that changed,
 * so a log stays short.
 */
export class ProgressPrinter {
  private shown: string[] = [];
  private drawn = 0;

  constructor(private readonly out: NodeJS.WriteStream) {}

  update(lines: string[]): void {
    if (this.out.isTTY) {
      if (this.drawn > 0) this.out.write(`\x1b[${this.drawn}A`);
      for (const line of lines) this.out.write(`\x1b[2K${line}\n`);
      this.drawn = lines.length;
    } else {
      lines.forEach((line, i) => {
        if (this.shown[i] !== line) this.out.write(`${line}\n`);
      });
    }
    this.shown = lines;
  }
}
