// Freshdesk-shaped JSON for each record kind, rendered on demand from an id, its timestamps and any
// explicit fields: generated fields derive from the id only, so a record reads the same every time.

import { formatFreshdeskTime } from './timestamps.js';
import { tieRank } from './sorted-ids.js';
import type { Visibility } from './record-table.js';

export type Json = Record<string, unknown>;

/** What every renderer gets: the id, timestamps (epoch seconds), visibility and explicit fields. */
export interface RecordSeed {
  id: number;
  createdSeconds: number;
  updatedSeconds: number;
  visibility: Visibility;
  fields: Json | undefined;
}

const subjects = [
  'Cannot log in after password reset',
  'Invoice shows the wrong VAT number',
  'Export to CSV times out',
  'Feature request: dark mode',
  'Mobile app crashes on start',
  'How do I add a second admin?',
  'Webhook deliveries are delayed',
  'Refund for duplicate charge',
];
const firstNames = ['Ada', 'Grace', 'Alan', 'Edsger', 'Barbara', 'Ken', 'Margaret', 'Linus', 'Radia', 'Donald'];
const lastNames = ['Lovelace', 'Hopper', 'Turing', 'Dijkstra', 'Liskov', 'Thompson', 'Hamilton', 'Torvalds', 'Perlman', 'Knuth'];
const companyWords = ['Acme', 'Globex', 'Initech', 'Umbrella', 'Hooli', 'Vandelay', 'Stark', 'Wayne', 'Tyrell', 'Cyberdyne'];

function pick<T>(list: readonly T[], id: number, salt: number): T {
  return list[(tieRank(id * 31 + salt) % list.length) >>> 0]!;
}

function personName(id: number): string {
  return `${pick(firstNames, id, 1)} ${pick(lastNames, id, 2)}`;
}

function emailOf(name: string, id: number): string {
  return `${name.toLowerCase().replace(/[^a-z]+/g, '.')}.${id}@example.com`;
}

function finish(seed: RecordSeed, generated: Json): Json {
  return {
    ...generated,
    ...seed.fields,
    id: seed.id,
    created_at: formatFreshdeskTime(seed.createdSeconds),
    updated_at: formatFreshdeskTime(seed.updatedSeconds),
  };
}

/** Ticket fields of `GET /api/v2/tickets` (no description unless `include=description`). */
export function renderTicket(seed: RecordSeed): Json {
  const { id } = seed;
  const dueSeconds = seed.createdSeconds + 3 * 24 * 3600;
  const ticket = finish(seed, {
    cc_emails: [],
    fwd_emails: [],
    reply_cc_emails: [],
    ticket_cc_emails: [],
    fr_escalated: false,
    spam: false,
    email_config_id: null,
    group_id: null,
    priority: 1 + (tieRank(id + 7) % 4),
    requester_id: 1000 + (tieRank(id + 11) % 5000),
    responder_id: null,
    source: pick([1, 2, 3, 7, 9], id, 3),
    company_id: null,
    status: pick([2, 2, 3, 4, 5], id, 4),
    subject: `${pick(subjects, id, 5)} (#${id})`,
    association_type: null,
    support_email: null,
    to_emails: null,
    product_id: null,
    type: pick(['Question', 'Incident', 'Problem', 'Feature Request', null], id, 6),
    due_by: formatFreshdeskTime(dueSeconds),
    fr_due_by: formatFreshdeskTime(seed.createdSeconds + 24 * 3600),
    is_escalated: false,
    custom_fields: {},
    tags: [],
    nr_due_by: null,
    nr_escalated: false,
  });
  ticket.spam = seed.visibility === 'spam';
  if (seed.visibility === 'deleted') ticket.deleted = true;
  return ticket;
}

/** The extra objects of `include=description|requester|stats|company` on tickets. */
export function ticketIncludes(ticket: Json, include: readonly string[], contact: (id: number) => Json | undefined): Json {
  const extra: Json = {};
  if (include.includes('description')) {
    const text = `Hello, ${String(ticket.subject)}. Steps to reproduce are attached.`;
    extra.description = ticket.description ?? `<div>${text}</div>`;
    extra.description_text = ticket.description_text ?? text;
  }
  if (include.includes('requester')) {
    const id = Number(ticket.requester_id);
    const found = contact(id);
    const name = found ? String(found.name) : personName(id);
    extra.requester = {
      id,
      name,
      email: found ? found.email : emailOf(name, id),
      mobile: found ? (found.mobile ?? null) : null,
      phone: found ? (found.phone ?? null) : null,
    };
  }
  if (include.includes('stats')) {
    const resolved = ticket.status === 4 || ticket.status === 5 ? ticket.updated_at : null;
    extra.stats = {
      agent_responded_at: null,
      requester_responded_at: null,
      first_responded_at: null,
      status_updated_at: ticket.updated_at,
      reopened_at: null,
      resolved_at: resolved,
      closed_at: ticket.status === 5 ? ticket.updated_at : null,
      pending_since: ticket.status === 3 ? ticket.updated_at : null,
    };
  }
  if (include.includes('company')) {
    extra.company = ticket.company_id == null ? {} : { id: ticket.company_id, name: `${pick(companyWords, Number(ticket.company_id), 1)} Ltd` };
  }
  return extra;
}

export function renderConversation(seed: RecordSeed): Json {
  const { id } = seed;
  const incoming = tieRank(id + 3) % 2 === 0;
  const text = incoming ? 'Thanks, that did not help yet. Any update?' : 'We are looking into it and will get back to you.';
  return finish(seed, {
    body: `<div>${text}</div>`,
    body_text: text,
    incoming,
    private: false,
    user_id: 1000 + (tieRank(id + 5) % 5000),
    support_email: incoming ? null : 'support@example.freshdesk.com',
    source: 0,
    category: incoming ? 2 : 3,
    ticket_id: 0,
    to_emails: incoming ? ['support@example.freshdesk.com'] : [],
    from_email: null,
    cc_emails: [],
    bcc_emails: null,
    attachments: [],
    last_edited_at: null,
    last_edited_user_id: null,
    source_additional_info: null,
  });
}

export function renderContact(seed: RecordSeed): Json {
  const { id } = seed;
  const name = personName(id);
  return finish(seed, {
    active: tieRank(id + 13) % 5 !== 0,
    address: null,
    company_id: null,
    description: null,
    email: emailOf(name, id),
    job_title: pick(['Engineer', 'Office manager', 'CTO', 'Accountant', null], id, 7),
    language: 'en',
    mobile: null,
    name,
    phone: null,
    time_zone: 'UTC',
    twitter_id: null,
    custom_fields: {},
    facebook_id: null,
    csat_rating: null,
    preferred_source: 'email',
    unique_external_id: null,
    other_emails: [],
    other_companies: [],
    tags: [],
    view_all_tickets: false,
    avatar: null,
    deleted: seed.visibility === 'deleted',
  });
}

export function renderCompany(seed: RecordSeed): Json {
  const { id } = seed;
  const word = pick(companyWords, id, 1);
  return finish(seed, {
    name: `${word} ${id}`,
    description: `${word} is a customer since ${formatFreshdeskTime(seed.createdSeconds).slice(0, 4)}.`,
    note: null,
    domains: [`${word.toLowerCase()}${id}.example.com`],
    custom_fields: {},
    health_score: pick(['Happy', 'Doing okay', 'At risk', null], id, 2),
    account_tier: pick(['Basic', 'Premium', 'Enterprise'], id, 3),
    renewal_date: null,
    industry: pick(['Software', 'Retail', 'Healthcare', null], id, 4),
  });
}

export function renderAgent(seed: RecordSeed): Json {
  const { id } = seed;
  const name = personName(id + 77);
  const created = formatFreshdeskTime(seed.createdSeconds);
  return finish(seed, {
    available: tieRank(id) % 2 === 0,
    occasional: false,
    signature: null,
    ticket_scope: 1,
    skill_ids: [],
    group_ids: [],
    role_ids: [1],
    available_since: null,
    type: 'support_agent',
    focus_mode: true,
    contact: {
      active: true,
      email: emailOf(name, id),
      job_title: 'Support agent',
      language: 'en',
      last_login_at: created,
      mobile: null,
      name,
      phone: null,
      time_zone: 'UTC',
      created_at: created,
      updated_at: formatFreshdeskTime(seed.updatedSeconds),
    },
  });
}

export function renderGroup(seed: RecordSeed): Json {
  const { id } = seed;
  return finish(seed, {
    name: `${pick(['Billing', 'Technical', 'Onboarding', 'Escalations', 'Sales'], id, 1)} ${id}`,
    description: null,
    escalate_to: null,
    unassigned_for: '30m',
    business_hour_id: null,
    group_type: 'support_agent_group',
    auto_ticket_assign: 0,
    agent_ids: [],
  });
}

export function renderCategory(seed: RecordSeed): Json {
  return finish(seed, { name: `Category ${seed.id}`, description: null, visible_in_portals: [] });
}

export function renderFolder(seed: RecordSeed): Json {
  return finish(seed, { name: `Folder ${seed.id}`, description: null, visibility: 1, articles_count: 0 });
}

export function renderArticle(seed: RecordSeed): Json {
  const { id } = seed;
  const title = pick(['Resetting your password', 'Setting up SSO', 'Exporting data', 'Billing FAQ', 'Using the API'], id, 1);
  return finish(seed, {
    type: 1,
    category_id: null,
    folder_id: null,
    hierarchy: [],
    thumbs_up: tieRank(id) % 20,
    thumbs_down: tieRank(id + 1) % 5,
    hits: tieRank(id + 2) % 1000,
    suggested: 0,
    feedback_count: 0,
    title: `${title} (${id})`,
    description: `<p>${title}: step-by-step guide.</p>`,
    description_text: `${title}: step-by-step guide.`,
    status: 2,
    agent_id: null,
    seo_data: { meta_title: title, meta_description: null },
    tags: [],
  });
}
