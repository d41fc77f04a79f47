import { signRequest } from './support/signed-request.js';
import { WebhookEventsRepository } from '../src/webhooks/webhook-events.repository.js';
import { connectAccount, useTestApp } from './support/test-app.js';

describe('what the webhook outbox keeps', () => {
  // Nothing listens there: events stay in the outbox, which is what these tests read.
  const test = useTestApp({
    WEBHOOK_URL: 'http://127.0.0.1:9/hooks',
    WEBHOOK_SECRET: 'retention-secret-0123456789',
  });

  it("keeps no username in the deletion event after Meta's data deletion", async () => {
    const { igUserId, body } = await connectAccount(test, { username: 'private_person' });
    expect(body.username).toBe('private_person');
    await test.http
      .post('/auth/instagram/data-deletion')
      .type('form')
      .send({
        signed_request: signRequest(
          { algorithm: 'HMAC-SHA256', issued_at: Math.floor(Date.now() / 1000), user_id: igUserId },
          test.appSecret,
        ),
      })
      .expect(200);
    const rows = await test.sql<{ type: string; payload: string }>(
      `SELECT type, payload::text AS payload FROM webhook_events
       WHERE payload -> 'data' -> 'connection' ->> 'igUserId' = $1`,
      [igUserId],
    );
    expect(rows.map((row) => row.type)).toEqual(['connection.deleted']);
    expect(rows[0].payload).not.toContain('private_person');
  });

  it('prunes delivered events after a week and given-up ones after a month', async () => {
    await test.sql(
      `INSERT INTO webhook_events (id, type, payload, delivered_at, failed_at) VALUES
        (gen_random_uuid(), 'connection.created', '{}', now() - interval '8 days', NULL),
        (gen_random_uuid(), 'connection.created', '{}', now() - interval '6 days', NULL),
        (gen_random_uuid(), 'connection.created', '{}', NULL, now() - interval '31 days'),
        (gen_random_uuid(), 'connection.created', '{}', NULL, now() - interval '29 days')`,
    );
    const pruned = await test.app.get(WebhookEventsRepository).prune();
    expect(pruned).toBe(2);
    const left = await test.sql<{ delivered: boolean }>(
      `SELECT delivered_at IS NOT NULL AS delivered FROM webhook_events
       WHERE payload::text = '{}' ORDER BY delivered_at NULLS LAST`,
    );
    expect(left.map((row) => row.delivered)).toEqual([true, false]);
  });
});
