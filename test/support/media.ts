import type { Response, Test } from 'supertest';
import { connectAccount } from './oauth.js';
import { API_KEY, bearer, type TestApp } from './test-app.js';

/** What GET /users/:igUserId/media answers. */
export interface MediaPage {
  items: Record<string, unknown>[];
  nextCursor: string | null;
}

/**
 * Creates an emulator account (with the given posts), connects it, and clears the emulator's
 * recorded calls; answers the connection's id and the account's username.
 */
export async function connectWithPosts(
  test: TestApp,
  options: Parameters<TestApp['emulator']['createAccount']>[0] = {},
): Promise<{ igUserId: string; username: string }> {
  const account = test.emulator.createAccount(options);
  const { igUserId } = await connectAccount(test, { username: account.username });
  test.emulator.resetCalls();
  return { igUserId, username: account.username };
}

/** One page of the account's media through the vault. */
export function readMediaPage(
  test: TestApp,
  igUserId: string,
  query: { limit?: number; cursor?: string } = {},
  secret: string = API_KEY.usersRead,
): Test {
  return test.http.get(`/users/${igUserId}/media`).query(query).set(bearer(secret));
}

/** Every page of the account's media, following nextCursor to the end; the answers in order. */
export async function readAllMediaPages(
  test: TestApp,
  igUserId: string,
  limit?: number,
): Promise<Response[]> {
  const pages: Response[] = [];
  let cursor: string | undefined;
  do {
    const response = await readMediaPage(test, igUserId, { limit, cursor });
    expect(response.status).toBe(200);
    pages.push(response);
    cursor = (response.body as MediaPage).nextCursor ?? undefined;
  } while (cursor !== undefined && pages.length < 50);
  return pages;
}

/** A proxied Graph read; `path` is sent as written (with its query). */
export function readGraph(
  test: TestApp,
  igUserId: string,
  path: string,
  secret: string = API_KEY.graphRead,
): Test {
  return test.http.get(`/graph/${igUserId}/${path}`).set(bearer(secret));
}

/**
 * Follows a proxied answer's paging link (`next` or `previous`) through the vault until there is
 * none; the answers in order. Links must point at the vault (the origin it was called on).
 */
export async function followGraphPages(
  test: TestApp,
  first: Response,
  direction: 'next' | 'previous' = 'next',
): Promise<Response[]> {
  const pages = [first];
  for (;;) {
    const last = pages[pages.length - 1];
    expect(last.status).toBe(200);
    const link = (last.body as { paging?: Record<string, string> }).paging?.[direction];
    if (link === undefined || pages.length >= 50) {
      return pages;
    }
    const url = new URL(link);
    expect(url.pathname).toMatch(/^\/graph\/\d+\//);
    pages.push(await test.http.get(`${url.pathname}${url.search}`).set(bearer(API_KEY.graphRead)));
  }
}
