// How the Freshdesk source treats each response status (pure): a decision table, tested on its own.

export type SourceResponseAction =
  | 'ok'
  | 'retry' // 408, 5xx: backoff and try again (bounded)
  | 'rate-limited' // 429: pause the whole tenant until Retry-After
  | 'credentials' // 401: stop the tenant, exit 2
  | 'forbidden' // 403: skip this stream
  | 'fail'; // other 4xx: the request itself is wrong; fail the stream

export function classifySourceStatus(status: number): SourceResponseAction {
  if (status >= 200 && status < 300) return 'ok';
  if (status === 401) return 'credentials';
  if (status === 403) return 'forbidden';
  if (status === 429) return 'rate-limited';
  if (status === 408 || status >= 500) return 'retry';
  return 'fail';
}

/** True when a response's `link` header announces another page (`<…>; rel="next"`). */
export function hasNextLink(link: string | string[] | undefined): boolean {
  const text = Array.isArray(link) ? link.join(',') : link;
  return text !== undefined && /;\s*rel="?next"?/i.test(text);
}
