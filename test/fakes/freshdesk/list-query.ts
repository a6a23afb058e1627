// Validation of list query strings, as Freshdesk does it: every problem is reported in one 400 body,
// unknown parameters are `invalid_field`. Pure functions from URLSearchParams to a query or errors.

import { ticketsPageLimitMessage, type ValidationError } from './errors.js';
import { parseSince } from './timestamps.js';

export const defaultPerPage = 30;
export const maxPerPage = 100;
/** Freshdesk refuses ticket list pages beyond 300 (300 × 100 = 30,000 rows per query). */
export const maxTicketsPage = 300;
/**
 * Without `updated_since`, the ticket list holds only tickets created in the last 30 days. Freshdesk's
 * "List All Tickets" docs: "By default, only tickets that have been created within the past 30 days will
 * be returned. For older tickets, use the updated_since filter." No other parameter lifts the window
 * (filter=deleted/spam, requester_id, company_id and email narrow it further).
 */
export const defaultTicketWindowSeconds = 30 * 24 * 3600;

export const ticketFilters = ['new_and_my_open', 'watching', 'spam', 'deleted'] as const;
export const ticketOrderFields = ['created_at', 'due_by', 'updated_at', 'status'] as const;
export const ticketIncludes = ['requester', 'stats', 'company', 'description'] as const;
export const contactStates = ['blocked', 'deleted', 'unverified', 'verified'] as const;

export type TicketFilter = (typeof ticketFilters)[number];
export type TicketOrderField = (typeof ticketOrderFields)[number];
export type TicketInclude = (typeof ticketIncludes)[number];
export type ContactState = (typeof contactStates)[number];

export interface Paging {
  page: number;
  perPage: number;
  /** The last page the list serves (tickets: 300); none when unbounded. */
  maxPage?: number;
}

export interface TicketQuery {
  filter?: TicketFilter;
  updatedSinceSeconds?: number;
  /** Set only when `updated_since` was not given: the 30-day default window. */
  createdSinceSeconds?: number;
  requesterId?: number;
  companyId?: number;
  email?: string;
  orderBy: TicketOrderField;
  orderType: 'asc' | 'desc';
  include: TicketInclude[];
}

export interface ContactQuery {
  updatedSinceSeconds?: number;
  email?: string;
  mobile?: string;
  phone?: string;
  companyId?: number;
  state?: ContactState;
}

export type Parsed<T> = { ok: true; query: T; paging: Paging } | { ok: false; errors: ValidationError[] };

/** The last value of a parameter (Rails keeps the last of repeated keys). */
function lastValue(params: URLSearchParams, name: string): string | undefined {
  const values = params.getAll(name);
  return values.length ? values[values.length - 1] : undefined;
}

const positiveInteger = /^[0-9]+$/;

function oneOf(list: readonly string[]): string {
  return `It should be one of these values: '${list.join(',')}'`;
}

function parsePaging(params: URLSearchParams, errors: ValidationError[], maxPage?: number): Paging {
  let page = 1;
  let perPage = defaultPerPage;
  const pageText = lastValue(params, 'page');
  if (pageText !== undefined) {
    if (!positiveInteger.test(pageText)) {
      errors.push({ field: 'page', message: 'It should be a/an Positive Integer', code: 'datatype_mismatch' });
    } else if (Number(pageText) < 1) {
      errors.push({ field: 'page', message: 'It should be a/an Positive Integer', code: 'invalid_value' });
    } else if (maxPage !== undefined && Number(pageText) > maxPage) {
      errors.push({ field: 'page', message: ticketsPageLimitMessage, code: 'invalid_value' });
    } else {
      page = Number(pageText);
    }
  }
  const perPageText = lastValue(params, 'per_page');
  if (perPageText !== undefined) {
    const message = `It should be a/an Positive Integer less than or equal to ${maxPerPage}`;
    if (!positiveInteger.test(perPageText)) {
      errors.push({ field: 'per_page', message, code: 'datatype_mismatch' });
    } else if (Number(perPageText) < 1 || Number(perPageText) > maxPerPage) {
      errors.push({ field: 'per_page', message, code: 'invalid_value' });
    } else {
      perPage = Number(perPageText);
    }
  }
  return maxPage === undefined ? { page, perPage } : { page, perPage, maxPage };
}

function rejectUnknown(params: URLSearchParams, allowed: readonly string[], errors: ValidationError[]): void {
  for (const name of new Set(params.keys())) {
    if (!allowed.includes(name)) errors.push({ field: name, message: 'Unexpected/invalid field in request', code: 'invalid_field' });
  }
}

function parseDate(params: URLSearchParams, name: string, errors: ValidationError[]): number | undefined {
  const text = lastValue(params, name);
  if (text === undefined) return undefined;
  const seconds = parseSince(text);
  if (seconds === undefined) {
    errors.push({ field: name, message: "It should be in the 'combined date and time ISO8601' format", code: 'invalid_value' });
  }
  return seconds;
}

function parseId(params: URLSearchParams, name: string, errors: ValidationError[]): number | undefined {
  const text = lastValue(params, name);
  if (text === undefined) return undefined;
  if (!positiveInteger.test(text) || Number(text) < 1) {
    errors.push({ field: name, message: 'It should be a/an Positive Integer', code: 'datatype_mismatch' });
    return undefined;
  }
  return Number(text);
}

function parseChoice<T extends string>(params: URLSearchParams, name: string, list: readonly T[], errors: ValidationError[]): T | undefined {
  const text = lastValue(params, name);
  if (text === undefined) return undefined;
  if (!(list as readonly string[]).includes(text)) {
    errors.push({ field: name, message: oneOf(list), code: 'invalid_value' });
    return undefined;
  }
  return text as T;
}

const ticketParams = ['page', 'per_page', 'filter', 'updated_since', 'order_by', 'order_type', 'include', 'requester_id', 'company_id', 'email'];

/** `GET /api/v2/tickets`. `nowSeconds` places the 30-day default window. */
export function parseTicketQuery(params: URLSearchParams, nowSeconds: number): Parsed<TicketQuery> {
  const errors: ValidationError[] = [];
  rejectUnknown(params, ticketParams, errors);
  const paging = parsePaging(params, errors, maxTicketsPage);
  const filter = parseChoice(params, 'filter', ticketFilters, errors);
  const updatedSinceSeconds = parseDate(params, 'updated_since', errors);
  const orderBy = parseChoice(params, 'order_by', ticketOrderFields, errors) ?? 'created_at';
  const orderType = parseChoice(params, 'order_type', ['asc', 'desc'] as const, errors) ?? 'desc';
  const requesterId = parseId(params, 'requester_id', errors);
  const companyId = parseId(params, 'company_id', errors);
  const email = lastValue(params, 'email');
  const include: TicketInclude[] = [];
  const includeText = lastValue(params, 'include');
  if (includeText !== undefined) {
    const names = includeText.split(',').map((name) => name.trim());
    if (names.some((name) => !(ticketIncludes as readonly string[]).includes(name))) {
      errors.push({ field: 'include', message: oneOf(ticketIncludes), code: 'invalid_value' });
    } else {
      include.push(...new Set(names as TicketInclude[]));
    }
  }
  if (errors.length) return { ok: false, errors };
  return {
    ok: true,
    paging,
    query: {
      filter,
      updatedSinceSeconds,
      createdSinceSeconds: updatedSinceSeconds === undefined ? nowSeconds - defaultTicketWindowSeconds : undefined,
      requesterId,
      companyId,
      email,
      orderBy,
      orderType,
      include,
    },
  };
}

const contactParams = ['page', 'per_page', '_updated_since', 'email', 'mobile', 'phone', 'company_id', 'state'];

/** `GET /api/v2/contacts`: `_updated_since` (inclusive), no page cap. */
export function parseContactQuery(params: URLSearchParams): Parsed<ContactQuery> {
  const errors: ValidationError[] = [];
  rejectUnknown(params, contactParams, errors);
  const paging = parsePaging(params, errors);
  const query: ContactQuery = {
    updatedSinceSeconds: parseDate(params, '_updated_since', errors),
    email: lastValue(params, 'email'),
    mobile: lastValue(params, 'mobile'),
    phone: lastValue(params, 'phone'),
    companyId: parseId(params, 'company_id', errors),
    state: parseChoice(params, 'state', contactStates, errors),
  };
  return errors.length ? { ok: false, errors } : { ok: true, query, paging };
}

/** `GET /api/v2/surveys/satisfaction_ratings`: `created_since` only (Freshdesk has no updated filter for ratings). */
export function parseRatingQuery(params: URLSearchParams): Parsed<{ createdSinceSeconds?: number }> {
  const errors: ValidationError[] = [];
  rejectUnknown(params, ['page', 'per_page', 'created_since', 'user_id'], errors);
  const paging = parsePaging(params, errors);
  const createdSinceSeconds = parseDate(params, 'created_since', errors);
  return errors.length ? { ok: false, errors } : { ok: true, query: { createdSinceSeconds }, paging };
}

/** Lists with no filter (companies, agents, groups, conversations, solutions): page and per_page only. */
export function parsePlainQuery(params: URLSearchParams): Parsed<Record<string, never>> {
  const errors: ValidationError[] = [];
  rejectUnknown(params, ['page', 'per_page'], errors);
  const paging = parsePaging(params, errors);
  return errors.length ? { ok: false, errors } : { ok: true, query: {}, paging };
}
