// The Freshdesk records beyond tickets, contacts and the knowledge base that the sync job offers as streams:
// satisfaction ratings, time entries, ticket fields, products, roles, business hours, SLA policies, surveys.
// Each kind is a RecordTable with a renderer of Freshdesk's shape; the store keeps them (`store.more`).

import { tieRank } from './sorted-ids.js';
import { RecordTable } from './record-table.js';
import type { Json, RecordSeed } from './records.js';
import { formatFreshdeskTime } from './timestamps.js';

export const moreKinds = ['satisfaction_ratings', 'time_entries', 'ticket_fields', 'products', 'roles', 'business_hours', 'sla_policies', 'surveys'] as const;
export type MoreKind = (typeof moreKinds)[number];

/** API paths (under /api/v2) of each kind's list. */
export const morePaths: Record<MoreKind, string> = {
  satisfaction_ratings: '/surveys/satisfaction_ratings',
  time_entries: '/time_entries',
  ticket_fields: '/ticket_fields',
  products: '/products',
  roles: '/roles',
  business_hours: '/business_hours',
  sla_policies: '/sla_policies',
  surveys: '/surveys',
};

function finish(seed: RecordSeed, generated: Json): Json {
  return { ...generated, ...seed.fields, id: seed.id, created_at: formatFreshdeskTime(seed.createdSeconds), updated_at: formatFreshdeskTime(seed.updatedSeconds) };
}

const renderers: Record<MoreKind, (seed: RecordSeed) => Json> = {
  satisfaction_ratings: (seed) =>
    finish(seed, {
      survey_id: 1,
      user_id: 1000 + (tieRank(seed.id) % 5000),
      agent_id: 1 + (tieRank(seed.id + 1) % 4),
      feedback: tieRank(seed.id) % 3 === 0 ? 'Quick and helpful, thanks!' : null,
      group_id: null,
      ticket_id: 1 + (tieRank(seed.id + 2) % 1000),
      ratings: { default_question: [103, 102, 101, -101, -102, -103][tieRank(seed.id + 3) % 6] },
    }),
  time_entries: (seed) =>
    finish(seed, {
      billable: tieRank(seed.id) % 2 === 0,
      note: 'Investigated the export timeout',
      timer_running: false,
      agent_id: 1 + (tieRank(seed.id) % 4),
      ticket_id: 1 + (tieRank(seed.id + 1) % 1000),
      company_id: null,
      time_spent: `0${tieRank(seed.id) % 4}:${String(tieRank(seed.id + 5) % 60).padStart(2, '0')}`,
      executed_at: formatFreshdeskTime(seed.createdSeconds),
      start_time: formatFreshdeskTime(seed.createdSeconds),
    }),
  ticket_fields: (seed) =>
    finish(seed, {
      name: `cf_field_${seed.id}`,
      label: `Field ${seed.id}`,
      description: null,
      position: seed.id,
      required_for_closure: false,
      required_for_agents: false,
      type: 'custom_text',
      default: false,
      customers_can_edit: false,
      label_for_customers: `Field ${seed.id}`,
      required_for_customers: false,
      displayed_to_customers: false,
    }),
  products: (seed) => finish(seed, { name: `Product ${seed.id}`, description: null }),
  roles: (seed) => finish(seed, { name: ['Account Administrator', 'Administrator', 'Supervisor', 'Agent'][seed.id % 4], description: null, default: seed.id <= 4 }),
  business_hours: (seed) =>
    finish(seed, {
      name: `Business hours ${seed.id}`,
      description: null,
      is_default: seed.id === 1,
      time_zone: 'UTC',
      business_hours: { monday: { start_time: '9:00 am', end_time: '6:00 pm' } },
    }),
  sla_policies: (seed) =>
    finish(seed, {
      name: `SLA ${seed.id}`,
      description: null,
      active: true,
      is_default: seed.id === 1,
      position: seed.id,
      sla_target: { priority_1: { respond_within: 3600, resolve_within: 86400, business_hours: false, escalation_enabled: true } },
      applicable_to: {},
      escalation: {},
    }),
  surveys: (seed) => finish(seed, { title: `Survey ${seed.id}`, active: seed.id === 1, questions: [{ id: `default_question`, label: 'How would you rate your experience?', default: true }] }),
};

/** The tables of the kinds above, one each. */
export function moreTables(): Record<MoreKind, RecordTable> {
  return Object.fromEntries(moreKinds.map((kind) => [kind, new RecordTable(kind)])) as Record<MoreKind, RecordTable>;
}

/** The renderer of a table made by moreTables, or undefined for the other tables. */
export function moreRenderer(table: RecordTable): ((seed: RecordSeed) => Json) | undefined {
  return (moreKinds as readonly string[]).includes(table.kind) ? renderers[table.kind as MoreKind] : undefined;
}
