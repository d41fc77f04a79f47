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
