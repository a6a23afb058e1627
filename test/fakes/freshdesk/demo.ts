// Demo data for `npm run local` and end-to-end tests: a small, realistic help desk spread over the
// last weeks of the fake's clock, with replies, a deleted and a spam ticket, and a knowledge base.

import type { FakeClock } from './clock.js';
import type { FreshdeskStore } from './store.js';

export interface DemoOptions {
  tickets?: number;
  contacts?: number;
  companies?: number;
  agents?: number;
  groups?: number;
  articles?: number;
  /** How far back records are spread (default 45 days: older than the 30-day default window). */
  days?: number;
}

export interface DemoSummary {
  tickets: number;
  deletedTicketIds: number[];
  spamTicketIds: number[];
  conversations: number;
  contacts: number;
  companies: number;
  agents: number;
  groups: number;
  articles: number;
}

const secondMs = 1000;
const dayMs = 24 * 3600 * secondMs;

export function seedDemo(store: FreshdeskStore, clock: FakeClock, options: DemoOptions = {}): DemoSummary {
  const counts = { tickets: 60, contacts: 25, companies: 6, agents: 4, groups: 3, articles: 10, days: 45, ...options };
  const nowMs = clock.now().getTime();
  const spanMs = counts.days * dayMs;
  /** Evenly spread moments from `days` ago up to an hour ago, oldest first. */
  const at = (index: number, of: number) => new Date(nowMs - spanMs + Math.floor(((spanMs - 3600 * secondMs) * index) / Math.max(1, of)));

  const companyIds = store.addCompanies(counts.companies, (i) => ({ created_at: at(i, counts.companies), updated_at: at(i, counts.companies) }));
  const contactIds = store.addContacts(counts.contacts, (i) => ({
    created_at: at(i, counts.contacts),
    updated_at: at(i, counts.contacts),
    company_id: companyIds.length ? companyIds[i % companyIds.length]! : null,
  }));
  const groupIds = store.addGroups(counts.groups, (i) => ({ created_at: at(0, 1), updated_at: at(i, counts.groups) }));
  const agentIds = store.addAgents(counts.agents, (i) => ({
    created_at: at(0, 1),
    updated_at: at(i, counts.agents),
    group_ids: groupIds.length ? [groupIds[i % groupIds.length]!] : [],
  }));

  let conversations = 0;
  const ticketIds = store.addTickets(counts.tickets, (i) => {
    const created = at(i, counts.tickets);
    const contactId = contactIds.length ? contactIds[i % contactIds.length]! : undefined;
    return {
      created_at: created,
      updated_at: new Date(Math.min(nowMs - secondMs, created.getTime() + ((i * 7) % 48) * 3600 * secondMs)),
      requester_id: contactId ?? null,
      company_id: contactId !== undefined && companyIds.length ? companyIds[i % contactIds.length % companyIds.length]! : null,
      group_id: groupIds.length ? groupIds[i % groupIds.length]! : null,
      responder_id: agentIds.length && i % 3 !== 0 ? agentIds[i % agentIds.length]! : null,
    };
  });
  ticketIds.forEach((id, i) => {
    const replies = i % 4;
    const ticket = store.ticket(id);
    const createdMs = Date.parse(String(ticket.created_at));
    const updatedMs = Date.parse(String(ticket.updated_at));
    for (let r = 0; r < replies; r++) {
      const when = new Date(createdMs + Math.floor(((updatedMs - createdMs) * (r + 1)) / (replies + 1)));
      store.addConversation(id, { created_at: when, updated_at: when, incoming: r % 2 === 0 }, { touchTicket: false });
      conversations++;
    }
  });

  const recentMs = nowMs - 2 * 3600 * secondMs;
  const deletedTicketIds = ticketIds.length > 2 ? [ticketIds[1]!] : [];
  const spamTicketIds = ticketIds.length > 3 ? [ticketIds[2]!] : [];
  for (const id of deletedTicketIds) store.deleteTicket(id, new Date(recentMs));
  for (const id of spamTicketIds) store.spamTicket(id, new Date(recentMs));

  const [productCategory, billingCategory] = store.addCategories([
    { name: 'Product', description: 'Using the product', created_at: at(0, 1), updated_at: at(0, 1) },
    { name: 'Billing', description: 'Plans, invoices and refunds', created_at: at(0, 1), updated_at: at(0, 1) },
  ]);
  store.addFolders(productCategory!, [{ name: 'Getting started', created_at: at(0, 1), updated_at: at(0, 1) }]);
  store.addFolders(billingCategory!, [{ name: 'Invoices', created_at: at(0, 1), updated_at: at(0, 1) }]);
  store.addArticles(counts.articles, (i) => ({
    category_id: i % 2 === 0 ? productCategory! : billingCategory!,
    created_at: at(i, counts.articles),
    updated_at: at(i, counts.articles),
    agent_id: agentIds.length ? agentIds[i % agentIds.length]! : null,
  }));

  // The rest of an account: satisfaction ratings and time entries on some tickets, and its settings.
  const rated = ticketIds.filter((_, i) => i % 5 === 0);
  store.addRecords('satisfaction_ratings', rated.length, (i) => {
    const when = new Date(Date.parse(String(store.ticket(rated[i]!).updated_at)) + 60 * secondMs);
    return { ticket_id: rated[i]!, created_at: when, updated_at: when };
  });
  const worked = ticketIds.filter((_, i) => i % 6 === 1);
  store.addRecords('time_entries', worked.length, (i) => ({ ticket_id: worked[i]!, created_at: at(i, worked.length), updated_at: at(i, worked.length) }));
  const settings = (kind: Parameters<typeof store.addRecords>[0], count: number) =>
    store.addRecords(kind, count, () => ({ created_at: at(0, 1), updated_at: at(0, 1) }));
  settings('ticket_fields', 3);
  settings('products', 2);
  settings('roles', 4);
  settings('business_hours', 1);
  settings('sla_policies', 2);
  settings('surveys', 1);

  return {
    tickets: ticketIds.length,
    deletedTicketIds,
    spamTicketIds,
    conversations,
    contacts: contactIds.length,
    companies: companyIds.length,
    agents: agentIds.length,
    groups: groupIds.length,
    articles: counts.articles,
  };
}
