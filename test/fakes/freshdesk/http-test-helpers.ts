// Plain-fetch helpers shared by the fake Freshdesk's own tests: a GET with Basic auth that returns
// status, headers and parsed JSON, and the `link` header's next URL.

export interface JsonResponse {
  status: number;
  headers: Headers;
  body: unknown;
}

export function basicAuth(apiKey: string, password = 'X'): string {
  return `Basic ${Buffer.from(`${apiKey}:${password}`).toString('base64')}`;
}

export async function getJson(url: string, apiKey: string | undefined = 'test-api-key'): Promise<JsonResponse> {
  const response = await fetch(url, { headers: apiKey === undefined ? {} : { authorization: basicAuth(apiKey) } });
  const text = await response.text();
  return { status: response.status, headers: response.headers, body: text ? JSON.parse(text) : undefined };
}

/** The URL of `link: <url>; rel="next"`, or undefined when there is no next page. */
export function nextUrl(headers: Headers): string | undefined {
  const link = headers.get('link');
  if (!link) return undefined;
  return /<([^>]+)>;\s*rel="next"/.exec(link)?.[1];
}

/** Follows `link` headers from `url` and returns every page's records. */
export async function walk(url: string, apiKey = 'test-api-key'): Promise<{ pages: number; records: Record<string, unknown>[] }> {
  const records: Record<string, unknown>[] = [];
  let pages = 0;
  let next: string | undefined = url;
  while (next) {
    const page = await getJson(next, apiKey);
    if (page.status !== 200) throw new Error(`GET ${next} → ${page.status} ${JSON.stringify(page.body)}`);
    records.push(...(page.body as Record<string, unknown>[]));
    pages++;
    next = nextUrl(page.headers);
  }
  return { pages, records };
}

export function ids(records: unknown): number[] {
  return (records as { id: number }[]).map((record) => record.id);
}
