import { createHmac } from 'node:crypto';
import type { TestApp } from './test-app.js';

/** Signs an already encoded payload as Meta does, so a request can be well signed but odd. */
export function signEncoded(encodedPayload: string, appSecret: string): string {
  const signature = createHmac('sha256', appSecret)
    .update(encodedPayload, 'utf8')
    .digest('base64url');
  return `${signature}.${encodedPayload}`;
}

/** Builds a signed_request as Meta does: base64url(HMAC-SHA256) "." base64url(JSON payload). */
export function signRequest(payload: Record<string, unknown>, appSecret: string): string {
  return signEncoded(Buffer.from(JSON.stringify(payload), 'utf8').toString('base64url'), appSecret);
}

/** A request Meta would send now for this account, signed with the app secret. */
export function signedRequestFor(userId: string, appSecret: string): string {
  return signRequest(
    { algorithm: 'HMAC-SHA256', issued_at: Math.floor(Date.now() / 1000), user_id: userId },
    appSecret,
  );
}

/** How many data deletion requests Meta made that were recorded. */
export async function countDeletionRequests(test: TestApp): Promise<number> {
  const [row] = await test.sql<{ n: number }>(
    'SELECT count(*)::int AS n FROM data_deletion_requests',
  );
  return row.n;
}

/** A request Meta signed `secondsAgo` before now for this account. */
export function signedRequestIssuedAgo(
  userId: string,
  secondsAgo: number,
  appSecret: string,
): string {
  return signRequest(
    {
      algorithm: 'HMAC-SHA256',
      issued_at: Math.floor(Date.now() / 1000) - secondsAgo,
      user_id: userId,
    },
    appSecret,
  );
}

/** The deletion request was made (and completed) `days` ago. */
export async function ageDeletionRequest(
  test: TestApp,
  confirmationCode: string,
  days: number,
): Promise<void> {
  const rows = await test.sql(
    `UPDATE data_deletion_requests
        SET requested_at = now() - make_interval(days => $2),
            completed_at = now() - make_interval(days => $2)
      WHERE confirmation_code = $1 RETURNING confirmation_code`,
    [confirmationCode, days],
  );
  expect(rows).toHaveLength(1);
}

/** Which of these confirmation codes still have a stored deletion request. */
export async function storedDeletionCodes(test: TestApp, codes: string[]): Promise<string[]> {
  const rows = await test.sql<{ confirmation_code: string }>(
    `SELECT confirmation_code FROM data_deletion_requests WHERE confirmation_code = ANY($1)
      ORDER BY confirmation_code`,
    [codes],
  );
  return rows.map((row) => row.confirmation_code);
}

/** Every processed Meta request remembered is past its expiry, as a day later. */
export async function expireProcessedSignedRequests(test: TestApp): Promise<void> {
  await test.sql(`UPDATE processed_signed_requests SET expires_at = now() - interval '1 minute'`);
}

/** How many processed Meta requests are remembered. */
export async function countProcessedSignedRequests(test: TestApp): Promise<number> {
  const [row] = await test.sql<{ n: number }>(
    'SELECT count(*)::int AS n FROM processed_signed_requests',
  );
  return row.n;
}
