// The fake account's data: tickets, conversations, contacts, companies, agents, groups and the
// knowledge base, plus the list queries the server answers. Scales to 200k+ tickets (see RecordTable).

import type { FakeClock } from './clock.js';
import type { ContactQuery, TicketQuery } from './list-query.js';
import { moreRenderer, moreTables, type MoreKind } from './more-records.js';
import { RecordTable, type Visibility } from './record-table.js';
import {
  renderAgent,
  renderArticle,
  renderCategory,
  renderCompany,
  renderContact,
  renderConversation,
  renderFolder,
  renderGroup,
  renderTicket,
  type Json,
  type RecordSeed,
} from './records.js';
import { toEpochSeconds, toEpochSecondsFrom } from './timestamps.js';

/** Fields of a record to add or patch. Timestamps accept a Date or an ISO string; others are JSON. */
export interface RecordPartial {
  created_at?: Date | string;
  updated_at?: Date | string;
  [field: string]: unknown;
}

/** `n` generated records, `n` records built by `each(index)`, or one record per partial. */
export type RecordsToAdd = number | readonly RecordPartial[];

/** A read-only window onto sorted ids: what a list query matched, in response order. */
export interface IdView {
  readonly length: number;
  at(position: number): number;
}

const emptyView: IdView = { length: 0, at: () => 0 };

/** ids[start..] in order, or backwards from the end down to `start` when descending. */
function rangeView(ids: readonly number[], start: number, descending: boolean): IdView {
  const length = Math.max(0, ids.length - start);
  return descending
    ? { length, at: (position) => ids[ids.length - 1 - position]! }
    : { length, at: (position) => ids[start + position]! };
}

const queryCacheEntries = 16;

export class FreshdeskStore {
  readonly tickets = new RecordTable('ticket');
  readonly conversations = new RecordTable('conversation');
  readonly contacts = new RecordTable('contact');
  readonly companies = new RecordTable('company');
  readonly agents = new RecordTable('agent');
  readonly groups = new RecordTable('group');
  readonly categories = new RecordTable('solution category');
  readonly folders = new RecordTable('solution folder');
  readonly articles = new RecordTable('solution article');
  /** Satisfaction ratings, time entries, ticket fields, products, roles, business hours, SLA policies, surveys. */
  readonly more = moreTables();
  private readonly conversationsByTicket = new Map<number, number[]>();
  private readonly foldersByCategory = new Map<number, number[]>();
  private readonly articlesByFolder = new Map<number, number[]>();
  /** Folder → its subfolders (Freshdesk's nested folders: listed only under their parent, not the category). */
  private readonly subfoldersByFolder = new Map<number, number[]>();
  private readonly queryCache = new Map<string, number[]>();
  private defaultFolderId: number | undefined;
  private lateVisibilitySeconds = 0;
  private deletesMoveUpdatedAt = true;
  /** Writes not yet visible to list queries (late visibility), in the order they were made. */
  private pendingWrites: Array<{ dueSeconds: number; apply: () => void }> = [];

  constructor(private readonly clock: FakeClock) {}

  // ---- behaviours Freshdesk does not document (switchable; see FreshdeskBehaviours) ----

  /** Writes made from now on reach list queries `seconds` after their updated_at; 0 = at once (the default). */
  setLateVisibility(seconds: number): void {
    this.lateVisibilitySeconds = Math.max(0, seconds);
  }

  /** Whether deleting, spamming or restoring a ticket (or deleting a contact) stamps its updated_at (default true). */
  setDeletesMoveUpdatedAt(on: boolean): void {
    this.deletesMoveUpdatedAt = on;
  }

  /** Makes the writes whose visibility delay has passed visible (the server calls it before every answer). */
  applyDueWrites(): void {
    if (this.pendingWrites.length === 0) return;
    const now = this.nowSeconds();
    const due = this.pendingWrites.filter((write) => write.dueSeconds <= now).sort((a, b) => a.dueSeconds - b.dueSeconds);
    if (due.length === 0) return;
    this.pendingWrites = this.pendingWrites.filter((write) => write.dueSeconds > now);
    for (const write of due) write.apply();
  }

  /** A record's content changes within its own second: `automation_runs` + 1, updated_at untouched. */
  rewriteInSameSecond(table: RecordTable, id: number): void {
    const runs = Number(table.fieldsOf(id)?.automation_runs ?? 0);
    table.update(id, { updatedSeconds: table.updatedAt(id), fields: { automation_runs: runs + 1 } });
  }

  /** Deletes a record so it leaves its list (contacts and tickets: soft delete; companies, agents, groups: gone). */
  removeFromList(table: RecordTable, id: number): void {
    this.setVisibility(table, id, 'deleted');
  }

  /** Applies a write now, or — with late visibility on — once `lateVisibilitySeconds` have passed after its stamp. */
  private write(stampSeconds: number, apply: () => void): void {
    if (this.lateVisibilitySeconds <= 0) return apply();
    this.pendingWrites.push({ dueSeconds: stampSeconds + this.lateVisibilitySeconds, apply });
  }

  // ---- adding and changing records (the `data` API) ----

  /** Adds records of one of the further kinds (satisfaction_ratings, time_entries, ticket_fields, …). */
  addRecords(kind: MoreKind, records: RecordsToAdd, each?: (index: number) => RecordPartial): number[] {
    return this.addMany(this.more[kind], records, each);
  }

  updateRecord(kind: MoreKind, id: number, patch: RecordPartial = {}): void {
    this.patch(this.more[kind], id, patch);
  }

  /** Deletes a record of one of the further kinds: it leaves its list (nothing else tells of it). */
  deleteRecord(kind: MoreKind, id: number): void {
    this.removeFromList(this.more[kind], id);
  }

  /** Satisfaction ratings created at or after `createdSinceSeconds` (all without), in creation order. */
  querySatisfactionRatings(createdSinceSeconds: number | undefined): IdView {
    const table = this.more.satisfaction_ratings;
    const ids = this.cached(`ratings:${table.version}:${createdSinceSeconds}`, () =>
      this.queryAllIds(table).filter((id) => createdSinceSeconds === undefined || table.createdAt(id) >= createdSinceSeconds),
    );
    return rangeView(ids, 0, false);
  }

  addTickets(records: RecordsToAdd, each?: (index: number) => RecordPartial): number[] {
    return this.addMany(this.tickets, records, each);
  }

  updateTicket(id: number, patch: RecordPartial = {}): void {
    this.patch(this.tickets, id, patch);
  }

  /** Soft delete: the ticket leaves the normal list and shows up under `filter=deleted`. */
  deleteTicket(id: number, at?: Date | string): void {
    this.setVisibility(this.tickets, id, 'deleted', at);
  }

  /** Marks spam: the ticket leaves the normal list and shows up under `filter=spam`. */
  spamTicket(id: number, at?: Date | string): void {
    this.setVisibility(this.tickets, id, 'spam', at);
  }

  /** Restores a deleted or spam ticket to the normal list. */
  restoreTicket(id: number, at?: Date | string): void {
    this.setVisibility(this.tickets, id, 'visible', at);
  }

  /**
   * Adds a reply or note to a ticket. Whether a reply bumps the ticket's `updated_at` is doubtful on
   * the real service (Singer issue #21), so it is a choice: `touchTicket` (default true).
   */
  addConversation(ticketId: number, partial: RecordPartial = {}, options: { touchTicket?: boolean } = {}): number {
    this.tickets.mustHave(ticketId);
    const [id] = this.addMany(this.conversations, [{ ...partial, ticket_id: ticketId }]);
    const list = this.conversationsByTicket.get(ticketId) ?? [];
    list.push(id!);
    this.conversationsByTicket.set(ticketId, list);
    if (options.touchTicket ?? true) this.updateTicket(ticketId, { updated_at: this.conversationTime(id!) });
    return id!;
  }

  updateConversation(id: number, patch: RecordPartial = {}): void {
    this.patch(this.conversations, id, patch);
  }

  addContacts(records: RecordsToAdd, each?: (index: number) => RecordPartial): number[] {
    return this.addMany(this.contacts, records, each);
  }

  updateContact(id: number, patch: RecordPartial = {}): void {
    this.patch(this.contacts, id, patch);
  }

  /** Soft delete: the contact shows up only under `state=deleted`. */
  deleteContact(id: number, at?: Date | string): void {
    this.setVisibility(this.contacts, id, 'deleted', at);
  }

  addCompanies(records: RecordsToAdd, each?: (index: number) => RecordPartial): number[] {
    return this.addMany(this.companies, records, each);
  }

  updateCompany(id: number, patch: RecordPartial = {}): void {
    this.patch(this.companies, id, patch);
  }

  /** Deletes a company for good (Freshdesk's DELETE /companies/:id): later rows of the list shift up by one. */
  deleteCompany(id: number): void {
    this.removeFromList(this.companies, id);
  }

  addAgents(records: RecordsToAdd, each?: (index: number) => RecordPartial): number[] {
    return this.addMany(this.agents, records, each);
  }

  updateAgent(id: number, patch: RecordPartial = {}): void {
    this.patch(this.agents, id, patch);
  }

  /** Deletes an agent (Freshdesk turns the agent into a contact): it leaves the agents list. */
  deleteAgent(id: number): void {
    this.removeFromList(this.agents, id);
  }

  addGroups(records: RecordsToAdd, each?: (index: number) => RecordPartial): number[] {
    return this.addMany(this.groups, records, each);
  }

  updateGroup(id: number, patch: RecordPartial = {}): void {
    this.patch(this.groups, id, patch);
  }

  deleteGroup(id: number): void {
    this.removeFromList(this.groups, id);
  }

  addCategories(records: RecordsToAdd, each?: (index: number) => RecordPartial): number[] {
    const ids = this.addMany(this.categories, records, each);
    for (const id of ids) this.foldersByCategory.set(id, []);
    return ids;
  }

  addFolders(categoryId: number, records: RecordsToAdd, each?: (index: number) => RecordPartial): number[] {
    this.categories.mustHave(categoryId);
    const ids = this.addMany(this.folders, records, (index) => ({ ...each?.(index), category_id: categoryId }));
    for (const id of ids) {
      this.foldersByCategory.get(categoryId)!.push(id);
      this.articlesByFolder.set(id, []);
    }
    return ids;
  }

  /** Adds folders inside folder `parentFolderId` (same category); articles go into them by `folder_id`. */
  addSubfolders(parentFolderId: number, records: RecordsToAdd, each?: (index: number) => RecordPartial): number[] {
    this.folders.mustHave(parentFolderId);
    const categoryId = this.folders.fieldsOf(parentFolderId)!.category_id;
    const ids = this.addMany(this.folders, records, (index) => ({ ...each?.(index), category_id: categoryId, parent_folder_id: parentFolderId }));
    const siblings = this.subfoldersByFolder.get(parentFolderId) ?? [];
    this.subfoldersByFolder.set(parentFolderId, siblings);
    for (const id of ids) {
      siblings.push(id);
      this.articlesByFolder.set(id, []);
    }
    return ids;
  }

  /**
   * Adds articles. A partial's `folder_id` places it; else its `category_id` picks that category's
   * first folder (created if none); else a default "General" category and "FAQ" folder are used.
   */
  addArticles(records: RecordsToAdd, each?: (index: number) => RecordPartial): number[] {
    const partials = this.expand(records, each);
    const placed = partials.map((partial) => {
      const folderId = this.folderFor(partial);
      return { ...partial, folder_id: folderId, category_id: this.folders.fieldsOf(folderId)!.category_id };
    });
    const ids = this.addMany(this.articles, placed);
    ids.forEach((id, index) => this.articlesByFolder.get(placed[index]!.folder_id)!.push(id));
    return ids;
  }

  updateArticle(id: number, patch: RecordPartial = {}): void {
    const { folder_id: _folder, category_id: _category, ...rest } = patch;
    this.patch(this.articles, id, rest);
  }

  // ---- reading records back (tests compare deliveries against these) ----

  ticket(id: number): Json {
    this.applyDueWrites();
    this.tickets.mustHave(id);
    return renderTicket(this.seed(this.tickets, id));
  }

  contact(id: number): Json | undefined {
    this.applyDueWrites();
    return this.contacts.has(id) ? renderContact(this.seed(this.contacts, id)) : undefined;
  }

  render(table: RecordTable, id: number): Json {
    const seed = this.seed(table, id);
    const more = moreRenderer(table);
    if (more) return more(seed);
    switch (table) {
      case this.tickets:
        return renderTicket(seed);
      case this.conversations:
        return renderConversation(seed);
      case this.contacts:
        return renderContact(seed);
      case this.companies:
        return renderCompany(seed);
      case this.agents:
        return renderAgent(seed);
      case this.groups:
        return renderGroup(seed);
      case this.categories:
        return renderCategory(seed);
      case this.folders:
        return { ...renderFolder(seed), articles_count: this.articlesByFolder.get(id)?.length ?? 0, sub_folders_count: this.subfoldersByFolder.get(id)?.length ?? 0 };
      default:
        return renderArticle(seed);
    }
  }

  // ---- list queries ----

  /** Tickets matching a `GET /tickets` query, in Freshdesk's order. */
  queryTickets(query: TicketQuery): IdView {
    if (query.filter === 'watching') return emptyView; // the API key's agent watches nothing
    const visibility: Visibility = query.filter === 'deleted' || query.filter === 'spam' ? query.filter : 'visible';
    const descending = query.orderType === 'desc';
    const onlyOpen = query.filter === 'new_and_my_open';
    const byField = query.orderBy === 'updated_at' || query.orderBy === 'created_at' ? query.orderBy : undefined;
    const needsRender = onlyOpen || query.requesterId !== undefined || query.companyId !== undefined || query.email !== undefined;

    if (byField && !needsRender) {
      const index = this.tickets.index(visibility, byField);
      // Fast paths: one range of a sorted index answers the query.
      if (query.createdSinceSeconds === undefined && (query.updatedSinceSeconds === undefined || byField === 'updated_at')) {
        const start = query.updatedSinceSeconds === undefined ? 0 : index.lowerBound(query.updatedSinceSeconds);
        return rangeView(index.view(), start, descending);
      }
      if (query.updatedSinceSeconds === undefined && byField === 'created_at') {
        return rangeView(index.view(), index.lowerBound(query.createdSinceSeconds!), descending);
      }
    }

    const key = `tickets:${this.tickets.version}:${this.contacts.version}:${JSON.stringify(query)}`;
    const ids = this.cached(key, () => {
      const base = this.tickets.index(visibility, byField ?? 'created_at').view();
      const matched = base.filter((id) => {
        if (query.updatedSinceSeconds !== undefined && this.tickets.updatedAt(id) < query.updatedSinceSeconds) return false;
        if (query.createdSinceSeconds !== undefined && this.tickets.createdAt(id) < query.createdSinceSeconds) return false;
        if (!needsRender) return true;
        const ticket = renderTicket(this.seed(this.tickets, id));
        if (onlyOpen && ticket.status !== 2) return false;
        if (query.requesterId !== undefined && ticket.requester_id !== query.requesterId) return false;
        if (query.companyId !== undefined && ticket.company_id !== query.companyId) return false;
        if (query.email !== undefined && this.contact(Number(ticket.requester_id))?.email !== query.email) return false;
        return true;
      });
      if (!byField) {
        const sortKey = (id: number): string | number => {
          const value = renderTicket(this.seed(this.tickets, id))[query.orderBy];
          return typeof value === 'number' || typeof value === 'string' ? value : 0;
        };
        const keys = new Map(matched.map((id) => [id, sortKey(id)]));
        matched.sort((a, b) => {
          const ka = keys.get(a)!;
          const kb = keys.get(b)!;
          return ka < kb ? -1 : ka > kb ? 1 : 0; // stable: ties keep the created_at order
        });
      }
      return matched;
    });
    return rangeView(ids, 0, descending);
  }

  /**
   * Contacts of a `GET /contacts` query, newest created first (Freshdesk documents no order; it is not
   * by `updated_at`, so a client must read every page of an `_updated_since` query).
   */
  queryContacts(query: ContactQuery): IdView {
    const visibility: Visibility = query.state === 'deleted' ? 'deleted' : 'visible';
    const index = this.contacts.index(visibility, 'created_at');
    const filtered =
      query.updatedSinceSeconds !== undefined ||
      query.email !== undefined ||
      query.mobile !== undefined ||
      query.phone !== undefined ||
      query.companyId !== undefined ||
      (query.state !== undefined && query.state !== 'deleted');
    if (!filtered) return rangeView(index.view(), 0, true);
    const ids = this.cached(`contacts:${this.contacts.version}:${JSON.stringify(query)}`, () =>
      index.view().filter((id) => {
        if (query.updatedSinceSeconds !== undefined && this.contacts.updatedAt(id) < query.updatedSinceSeconds) return false;
        const contact = renderContact(this.seed(this.contacts, id));
        if (query.email !== undefined && contact.email !== query.email) return false;
        if (query.mobile !== undefined && contact.mobile !== query.mobile) return false;
        if (query.phone !== undefined && contact.phone !== query.phone) return false;
        if (query.companyId !== undefined && contact.company_id !== query.companyId) return false;
        if (query.state === 'blocked') return false;
        if (query.state === 'verified' && contact.active !== true) return false;
        if (query.state === 'unverified' && contact.active === true) return false;
        return true;
      }),
    );
    return rangeView(ids, 0, true);
  }

  /** Every visible record of a small table in id order (companies, agents, groups, categories). */
  queryAll(table: RecordTable): IdView {
    return rangeView(this.queryAllIds(table), 0, false);
  }

  private queryAllIds(table: RecordTable): number[] {
    return this.cached(`all:${table.kind}:${table.version}`, () =>
      Array.from({ length: table.size }, (_, index) => index + 1).filter((id) => table.visibilityOf(id) === 'visible'),
    );
  }

  /** Conversations of a ticket (oldest first), or undefined when the ticket does not exist. */
  queryConversations(ticketId: number): IdView | undefined {
    if (!this.tickets.has(ticketId)) return undefined;
    const ids = this.visibleOf(this.conversations, this.conversationsByTicket.get(ticketId) ?? []);
    const sorted = [...ids].sort((a, b) => this.conversations.createdAt(a) - this.conversations.createdAt(b) || a - b);
    return rangeView(sorted, 0, false);
  }

  queryFolders(categoryId: number): IdView | undefined {
    const ids = this.foldersByCategory.get(categoryId);
    return ids && rangeView(this.visibleOf(this.folders, ids), 0, false);
  }

  /** A folder's subfolders; undefined for an unknown folder. */
  querySubfolders(folderId: number): IdView | undefined {
    if (!this.folders.has(folderId)) return undefined;
    return rangeView(this.visibleOf(this.folders, this.subfoldersByFolder.get(folderId) ?? []), 0, false);
  }

  queryArticles(folderId: number): IdView | undefined {
    const ids = this.articlesByFolder.get(folderId);
    return ids && rangeView(this.visibleOf(this.articles, ids), 0, false);
  }

  private visibleOf(table: RecordTable, ids: readonly number[]): readonly number[] {
    return ids.every((id) => table.visibilityOf(id) === 'visible') ? ids : ids.filter((id) => table.visibilityOf(id) === 'visible');
  }

  // ---- internals ----

  private nowSeconds(): number {
    return toEpochSeconds(this.clock.now());
  }

  private seed(table: RecordTable, id: number): RecordSeed {
    return {
      id,
      createdSeconds: table.createdAt(id),
      updatedSeconds: table.updatedAt(id),
      visibility: table.visibilityOf(id),
      fields: table.fieldsOf(id),
    };
  }

  private expand(records: RecordsToAdd, each?: (index: number) => RecordPartial): readonly RecordPartial[] {
    if (typeof records !== 'number') return records;
    return Array.from({ length: records }, (_, index) => each?.(index) ?? {});
  }

  private addMany(table: RecordTable, records: RecordsToAdd, each?: (index: number) => RecordPartial): number[] {
    const ids: number[] = [];
    const count = typeof records === 'number' ? records : records.length;
    const now = this.nowSeconds();
    for (let index = 0; index < count; index++) {
      const partial = typeof records === 'number' ? (each?.(index) ?? {}) : records[index]!;
      const { created_at, updated_at, id: givenId, ...fields } = partial;
      if (givenId !== undefined) throw new Error(`fake Freshdesk assigns ${table.kind} ids itself; remove "id" from the partial`);
      const updated = updated_at === undefined ? undefined : toEpochSecondsFrom(updated_at);
      const created = created_at === undefined ? Math.min(now, updated ?? now) : toEpochSecondsFrom(created_at);
      const stamp = updated ?? Math.max(created, now);
      // With late visibility the record exists (its id is handed out) but no list shows it yet.
      const id = table.add(created, stamp, fields, this.lateVisibilitySeconds > 0 ? 'pending' : 'visible');
      ids.push(id);
      if (this.lateVisibilitySeconds > 0) this.write(stamp, () => table.update(id, { updatedSeconds: stamp, visibility: 'visible' }));
    }
    return ids;
  }

  private patch(table: RecordTable, id: number, patch: RecordPartial): void {
    table.mustHave(id);
    const { created_at, updated_at, id: _id, ...fields } = patch;
    const stamp = updated_at === undefined ? this.nowSeconds() : toEpochSecondsFrom(updated_at);
    // Until a late write becomes visible, lists show the record as it was.
    this.write(stamp, () =>
      table.update(id, { updatedSeconds: stamp, createdSeconds: created_at === undefined ? undefined : toEpochSecondsFrom(created_at), fields }),
    );
  }

  private setVisibility(table: RecordTable, id: number, visibility: Visibility, at?: Date | string): void {
    table.mustHave(id);
    // Whether Freshdesk stamps updated_at on delete/spam/restore is undocumented: setDeletesMoveUpdatedAt(false) keeps it.
    const stamp = at !== undefined ? toEpochSecondsFrom(at) : this.deletesMoveUpdatedAt ? this.nowSeconds() : table.updatedAt(id);
    this.write(stamp, () => table.update(id, { updatedSeconds: stamp, visibility }));
  }

  private conversationTime(id: number): string {
    return new Date(this.conversations.createdAt(id) * 1000).toISOString();
  }

  private folderFor(partial: RecordPartial): number {
    if (typeof partial.folder_id === 'number') {
      this.folders.mustHave(partial.folder_id);
      return partial.folder_id;
    }
    if (typeof partial.category_id === 'number') {
      this.categories.mustHave(partial.category_id);
      const existing = this.foldersByCategory.get(partial.category_id)![0];
      return existing ?? this.addFolders(partial.category_id, [{ name: 'General' }])[0]!;
    }
    if (this.defaultFolderId === undefined) {
      const [categoryId] = this.addCategories([{ name: 'General', description: 'Frequently asked questions' }]);
      this.defaultFolderId = this.addFolders(categoryId!, [{ name: 'FAQ' }])[0]!;
    }
    return this.defaultFolderId;
  }

  /** Results of filtered queries, keyed by query and data versions, so deep paging is not O(n) a page. */
  private cached(key: string, compute: () => number[]): number[] {
    const hit = this.queryCache.get(key);
    if (hit) return hit;
    const ids = compute();
    this.queryCache.set(key, ids);
    while (this.queryCache.size > queryCacheEntries) this.queryCache.delete(this.queryCache.keys().next().value!);
    return ids;
  }
}

