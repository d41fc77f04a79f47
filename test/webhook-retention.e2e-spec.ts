import { WebhookEventsRepository } from '../src/webhooks/webhook-events.repository.js';
import { signedRequestFor } from './support/meta.js';
import { connectAccount } from './support/oauth.js';
import { agedEventsLeft, eventRows, insertAgedEvents } from './support/outbox.js';
import { useTestApp } from './support/test-app.js';

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
      .send({ signed_request: signedRequestFor(igUserId, test.appSecret) })
      .expect(200);
    const rows = await eventRows(test, igUserId);
    expect(rows.map((row) => row.type)).toEqual(['connection.deleted']);
    expect(rows[0].payload).not.toContain('private_person');
  });

  it('prunes delivered events after a week and given-up ones after a month', async () => {
    await insertAgedEvents(test);
    const pruned = await test.app.get(WebhookEventsRepository).prune();
    expect(pruned).toBe(2);
    const left = await agedEventsLeft(test);
    expect(left.map((row) => row.delivered)).toEqual([true, false]);
  });
});
