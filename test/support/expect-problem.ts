import type { Response } from 'supertest';

/** The answer is a problem document with this status and code (and says nothing of its own). */
export function expectProblem(response: Response, status: number, code: string): void {
  expect({ status: response.status, code: response.body?.code }).toEqual({ status, code });
  expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
  expect(response.body).toMatchObject({
    type: `urn:instagram-token-vault:problem:${code}`,
    title: expect.any(String),
    detail: expect.any(String),
    status,
  });
}
