import type { Response } from 'supertest';

/** A date as the service writes every one: ISO 8601, UTC, milliseconds. */
export const ISO_DATE = /^\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}\.\d{3}Z$/;

const MINUTE_MS = 60 * 1000;

/** Inside toEqual/toMatchObject: any date string the service writes. */
export function anIsoDate(): unknown {
  return expect.stringMatching(ISO_DATE);
}

/** The answer is the application/problem+json of this status and code, type and title given. */
export function expectProblem(response: Response, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({
    status,
    code,
    type: expect.any(String),
    title: expect.any(String),
  });
}

/** The date is `ms` from now, give or take a minute. */
export function expectAboutFromNow(iso: unknown, ms: number): void {
  const at = new Date(iso as string).getTime();
  expect(at).toBeGreaterThan(Date.now() + ms - MINUTE_MS);
  expect(at).toBeLessThan(Date.now() + ms + MINUTE_MS);
}

/**
 * Nothing a caller may not hold: not the token (raw or percent-encoded), no `access_token`
 * parameter, and no link to Instagram's Graph (its host, written with or without escapes).
 */
export function expectNoTokenNorInstagram(
  text: string,
  secrets: { token: string; instagramUrl: string },
): void {
  expect(text).not.toContain(secrets.token);
  expect(text).not.toContain(encodeURIComponent(secrets.token));
  expect(text).not.toMatch(/access_token/i);
  expect(text).not.toContain(new URL(secrets.instagramUrl).host);
}
