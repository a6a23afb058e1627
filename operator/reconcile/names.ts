// Names of the objects a TenantSync owns, derived only from its name: creates are idempotent, names
// always fit their limits (DNS-1123 labels, CronJob ≤ 52) and two TenantSyncs never share a child.
import { hexHash } from './hash.js';

/**
 * A CronJob name may be at most 52 characters: the CronJob controller appends `-<8 digits>` to name
 * its Jobs and a Job name must stay a 63-character label.
 */
export const maxCronJobNameLength = 52;
/** A DNS-1123 label (also the limit of a label value). */
export const maxLabelLength = 63;
const hashLength = 8;
const runHashLength = 6;

const dns1123Label = /^[a-z0-9]([-a-z0-9]*[a-z0-9])?$/;

/** True when `text` is a DNS-1123 label of at most `maxLength` characters. */
export function isDns1123Label(text: string, maxLength = maxLabelLength): boolean {
  return text.length <= maxLength && dns1123Label.test(text);
}

/**
 * `name` itself when it is already a label of at most `maxLength` characters; otherwise the name with
 * every character a label cannot hold turned into `-`, cut to leave room, plus `-` and 8 hex characters
 * of the SHA-256 of the full name. Only names that are changed carry a hash, so two different names
 * give two different results — up to a 32-bit hash collision or a name crafted to look like another's
 * fitted form, which the controller reports as a conflict instead of taking over the other's children.
 */
export function fitName(name: string, maxLength: number): string {
  if (isDns1123Label(name, maxLength)) return name;
  const sanitized = name.toLowerCase().replace(/[^a-z0-9-]/g, '-');
  const prefix = sanitized
    .slice(0, maxLength - hashLength - 1)
    .replace(/^-+/, '')
    .replace(/-+$/, '');
  const hash = hexHash(name, hashLength);
  return prefix === '' ? hash : `${prefix}-${hash}`;
}

export interface ChildNames {
  /** CronJob; also the stem of every other child name. */
  readonly cronJob: string;
  /** ConfigMap with the job config (config.json). */
  readonly configMap: string;
  /** ConfigMap with the job state (state.json): the cursors. */
  readonly stateConfigMap: string;
}

/** The children of the TenantSync called `name`. */
export function childNames(name: string): ChildNames {
  const stem = fitName(name, maxCronJobNameLength);
  return { cronJob: stem, configMap: `${stem}-config`, stateConfigMap: `${stem}-state` };
}

/**
 * Name of the manual Job for one value of the run-requested-at annotation: `<cronjob>-run-<6 hex>`,
 * at most 52 + 11 = 63 characters. The same value always gives the same name, so a retried create
 * answers AlreadyExists instead of starting a second run. It cannot equal a scheduled Job's name
 * (`<cronjob>-<8 digits>`): the last segments differ in length.
 */
export function manualJobName(name: string, requestValue: string): string {
  return `${childNames(name).cronJob}-run-${hexHash(requestValue, runHashLength)}`;
}

/** A label value for the TenantSync's name: the name when it fits in 63 characters, else its fitted form. */
export function nameLabelValue(name: string): string {
  // Label values may hold dots, so only length forces a change.
  return name.length <= maxLabelLength ? name : fitName(name, maxLabelLength);
}
