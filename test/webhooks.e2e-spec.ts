import { createHmac, randomBytes } from 'node:crypto';
import type { WebhookEventType } from '../src/webhooks/webhook-event.js';
import { verifyWebhookSignature } from '../src/webhooks/webhook-signature.js';
import { expectProblem, ISO_DATE } from './support/assertions.js';
import { countConnections } from './support/connections.js';
import { signedRequestFor } from './support/meta.js';
import { connectAccount } from './support/oauth.js';
import { allEvents, eventRows, makeEventsDueNow } from './support/outbox.js';
import { API_KEY, bearer, startTestApp, type TestApp, useTestApp } from './support/test-app.js';
import { getConnection, revealToken } from './support/vault-api.js';
import { sleep, waitFor } from './support/wait.js';
import { type Delivery, WebhookReceiver } from './support/webhook-receiver.js';

const UUID = /^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$/;
/** How long to keep listening for duplicates once an event arrived: two more polls. */
const DUPLICATE_WAIT_MS = 2_000;

function webhookEnv(receiver: WebhookReceiver, secret: string): Record<string, string> {
  return { WEBHOOK_URL: receiver.url, WEBHOOK_SECRET: secret };
}

function newSecret(): string {
  return `whsec_${randomBytes(16).toString('hex')}`;
}

describe('Webhooks to callers', () => {
  describe('with a receiver that accepts them', () => {
    const receiver = new WebhookReceiver();
    const secret = newSecret();
    let test: TestApp;

    beforeAll(async () => {
      await receiver.start();
      test = await startTestApp(webhookEnv(receiver, secret));
    });

    afterAll(async () => {
      await test?.close();
      await receiver.stop();
    });

    /** The one accepted delivery of `type` for the connection, once it arrived. */
    function arrival(igUserId: string, type: WebhookEventType): Promise<Delivery> {
      return waitFor(`${type} for ${igUserId}`, () =>
        receiver.acceptedFor(igUserId).find((delivery) => delivery.body.type === type),
      );
    }

    /** What every delivery must be: signed over its raw body, named in its headers, no secrets. */
    function expectSignedEvent(delivery: Delivery, tokens: string[] = []): void {
      const expected = `sha256=${createHmac('sha256', secret).update(delivery.raw, 'utf8').digest('hex')}`;
      expect(delivery.headers['x-vault-signature']).toBe(expected);
      expect(
        verifyWebhookSignature(
          delivery.raw,
          secret,
          delivery.headers['x-vault-signature'] as string,
        ),
      ).toBe(true);
      expect(verifyWebhookSignature(delivery.raw, newSecret(), expected)).toBe(false);
      expect(delivery.path).toBe('/hooks');
      expect(delivery.headers['content-type']).toMatch(/^application\/json/);
      expect(delivery.headers['x-vault-event-id']).toBe(delivery.body.id);
      expect(Object.keys(delivery.body).sort()).toEqual(['createdAt', 'data', 'id', 'type']);
      expect(delivery.body.id).toMatch(UUID);
      expect(delivery.body.createdAt).toMatch(ISO_DATE);
      expect(Object.keys(delivery.body.data)).toEqual(['connection']);
      expect(delivery.body.data.connection.igUserId).toMatch(/^\d+$/);
      for (const token of tokens) {
        expect(delivery.raw).not.toContain(token);
      }
      expect(delivery.raw).not.toMatch(/IGAA|accessToken|access_token|ciphertext|tokenKeyId/i);
    }

    it('sends connection.created, then connection.refreshed for the long-lived upgrade, signed and without the token', async () => {
      const ownerId = `owner-${randomBytes(4).toString('hex')}`;
      const { igUserId } = await connectAccount(test, { ownerId });

      const created = await arrival(igUserId, 'connection.created');
      const refreshed = await arrival(igUserId, 'connection.refreshed');

      const token = await revealToken(test, igUserId);
      const stored = await getConnection(test, igUserId);
      for (const delivery of [created, refreshed]) {
        expectSignedEvent(delivery, [token]);
        expect(Object.keys(delivery.body.data.connection).sort()).toEqual(
          Object.keys(stored).sort(),
        );
        expect(delivery.body.data.connection).toMatchObject({
          igUserId,
          ownerId,
          status: 'active',
        });
      }
      expect(created.body.data.connection.tokenKind).toBe('short_lived');
      expect(refreshed.body.data.connection).toMatchObject({
        tokenKind: 'long_lived',
        expiresAt: stored.expiresAt,
      });
      expect(created.body.id).not.toBe(refreshed.body.id);
      // Delivered concurrently, so in any order; createdAt tells the order of the changes.
      expect(
        receiver
          .acceptedFor(igUserId)
          .map((delivery) => delivery.body.type)
          .sort(),
      ).toEqual(['connection.created', 'connection.refreshed']);
      expect(Date.parse(created.body.createdAt)).toBeLessThanOrEqual(
        Date.parse(refreshed.body.createdAt),
      );
      const rows = await eventRows(test, igUserId);
      expect(rows.map((row) => [row.id, row.type])).toEqual(
        expect.arrayContaining([
          [created.body.id, 'connection.created'],
          [refreshed.body.id, 'connection.refreshed'],
        ]),
      );
    });

    it('sends connection.deleted with the connection as it was when it is deleted', async () => {
      const { igUserId } = await connectAccount(test);
      const token = await revealToken(test, igUserId);
      const before = await getConnection(test, igUserId);

      await test.http.delete(`/tokens/${igUserId}`).set(bearer(API_KEY.tokensWrite)).expect(204);

      const deleted = await arrival(igUserId, 'connection.deleted');
      expectSignedEvent(deleted, [token]);
      expect(deleted.body.data.connection).toEqual(before);
    });

    it('writes the connection.deleted event in the same transaction as the delete', async () => {
      const { igUserId } = await connectAccount(test);

      await test.http.delete(`/tokens/${igUserId}`).set(bearer(API_KEY.tokensWrite)).expect(204);

      // Already there when DELETE answers, exactly once, next to the vanished connection.
      const rows = await eventRows(test, igUserId);
      expect(rows.filter((row) => row.type === 'connection.deleted')).toHaveLength(1);
      expect(await countConnections(test, igUserId)).toBe(0);
    });

    it('writes no event for a delete that finds no connection', async () => {
      const unknown = '17841499999999998';

      const response = await test.http
        .delete(`/tokens/${unknown}`)
        .set(bearer(API_KEY.tokensWrite));

      expectProblem(response, 404, 'connection_not_found');
      expect(await eventRows(test, unknown)).toEqual([]);
    });

    it("sends connection.revoked when Meta's deauthorize callback names the account", async () => {
      const { igUserId } = await connectAccount(test);
      const token = await revealToken(test, igUserId);
      const signed = signedRequestFor(igUserId, test.appSecret);

      await test.http
        .post('/auth/instagram/deauthorize')
        .type('form')
        .send({ signed_request: signed })
        .expect(200);

      const revoked = await arrival(igUserId, 'connection.revoked');
      expectSignedEvent(revoked, [token]);
      expect(revoked.body.data.connection.status).toBe('revoked');
      expect(revoked.body.data.connection).toEqual(await getConnection(test, igUserId));
    });

    it('sends connection.invalid when Instagram answers 190 to a user read', async () => {
      const { igUserId } = await connectAccount(test);
      const token = await revealToken(test, igUserId);
      test.emulator.revokeAccount(igUserId);

      const read = await test.http.get(`/users/${igUserId}`).set(bearer(API_KEY.usersRead));
      expectProblem(read, 409, 'instagram_token_invalid');

      const invalid = await arrival(igUserId, 'connection.invalid');
      expectSignedEvent(invalid, [token]);
      expect(invalid.body.data.connection.status).toBe('invalid');
      expect(invalid.body.data.connection).toEqual(await getConnection(test, igUserId));
    });

    it('delivers each event exactly once per change, and marks it delivered', async () => {
      const { igUserId } = await connectAccount(test);
      await test.http.delete(`/tokens/${igUserId}`).set(bearer(API_KEY.tokensWrite)).expect(204);
      await arrival(igUserId, 'connection.deleted');

      await sleep(DUPLICATE_WAIT_MS);

      // This connection's life, then every event this receiver got in the file so far.
      const life = receiver
        .acceptedFor(igUserId)
        .sort((a, b) => Date.parse(a.body.createdAt) - Date.parse(b.body.createdAt));
      expect(life.map((delivery) => delivery.body.type).sort()).toEqual([
        'connection.created',
        'connection.deleted',
        'connection.refreshed',
      ]);
      expect(life.at(-1)?.body.type).toBe('connection.deleted');
      const received = receiver.deliveries.map((delivery) => delivery.body.id);
      expect(received.length).toBeGreaterThanOrEqual(3);
      expect(new Set(received).size).toBe(received.length);
      for (const delivery of receiver.deliveries) {
        expectSignedEvent(delivery);
      }
      const rows = await allEvents(test);
      expect(rows.map((row) => row.id).sort()).toEqual([...received].sort());
      expect(rows.filter((row) => row.delivered_at === null)).toEqual([]);
    });
  });

  describe.each<
    [
      string,
      (receiver: WebhookReceiver) => Promise<void>,
      (receiver: WebhookReceiver) => Promise<void>,
    ]
  >([
    [
      'answers 500',
      async (receiver) => {
        receiver.status = 500;
        await receiver.start();
      },
      async (receiver) => {
        receiver.status = 200;
        await Promise.resolve();
      },
    ],
    [
      'is not listening',
      async (receiver) => {
        await receiver.start();
        await receiver.stop();
      },
      (receiver) => receiver.start(),
    ],
  ])('when the receiver %s', (mode, breakReceiver, recover) => {
    const receiver = new WebhookReceiver();
    const secret = newSecret();
    let test: TestApp;

    beforeAll(async () => {
      await breakReceiver(receiver);
      test = await startTestApp(webhookEnv(receiver, secret));
    });

    afterAll(async () => {
      await test?.close();
      await receiver.stop();
    });

    it('keeps the events undelivered with a later retry, then delivers them once it recovers', async () => {
      const { igUserId } = await connectAccount(test);

      const failed = await waitFor('a failed attempt on every event', async () => {
        const rows = await eventRows(test, igUserId);
        return rows.length === 2 &&
          rows.every((row) => row.attempts >= 1 && row.lease_owner === null)
          ? rows
          : undefined;
      });
      for (const row of failed) {
        expect(row.delivered_at).toBeNull();
        expect(row.last_error).toEqual(expect.any(String));
        expect(row.due_later).toBe(true);
      }
      expect(failed.map((row) => row.type).sort()).toEqual([
        'connection.created',
        'connection.refreshed',
      ]);
      if (mode === 'answers 500') {
        expect(failed.map((row) => row.last_error)).toEqual(['HTTP 500', 'HTTP 500']);
        expect(receiver.deliveries.length).toBeGreaterThanOrEqual(2);
      } else {
        expect(receiver.deliveries).toEqual([]);
      }
      // Backed off: the next try is seconds away, not the next poll.
      const soonest = Math.min(
        ...(await eventRows(test, igUserId)).map((row) => row.next_attempt_in),
      );
      expect(soonest).toBeGreaterThan(1);
      expect(receiver.acceptedFor(igUserId)).toEqual([]);

      await recover(receiver);
      await makeEventsDueNow(test, [igUserId]);

      const delivered = await waitFor('every event delivered', async () => {
        const rows = await eventRows(test, igUserId);
        return rows.every((row) => row.delivered_at !== null) ? rows : undefined;
      });
      const accepted = receiver.acceptedFor(igUserId).map((delivery) => delivery.body.id);
      for (const row of delivered) {
        expect(accepted).toContain(row.id);
        expect(row.last_error).toBeNull();
      }
      for (const delivery of receiver.acceptedFor(igUserId)) {
        expect(
          verifyWebhookSignature(
            delivery.raw,
            secret,
            delivery.headers['x-vault-signature'] as string,
          ),
        ).toBe(true);
      }
    });
  });

  describe('across a restart', () => {
    it('loses no event: another replica delivers what the stopped one could not', async () => {
      const receiver = new WebhookReceiver();
      const secret = newSecret();
      await receiver.start();
      await receiver.stop();
      // Holds the database and the emulator; without WEBHOOK_URL it never dispatches itself.
      const holder = await startTestApp();
      const replicas: TestApp[] = [];
      try {
        const first = await startTestApp(webhookEnv(receiver, secret), { peer: holder });
        replicas.push(first);
        const kept = await connectAccount(first);
        const gone = await connectAccount(first);
        await first.http
          .delete(`/tokens/${gone.igUserId}`)
          .set(bearer(API_KEY.tokensWrite))
          .expect(204);
        const ids = [kept.igUserId, gone.igUserId];
        const made = await waitFor('a failed attempt on every event', async () => {
          const rows = (await Promise.all(ids.map((id) => eventRows(holder, id)))).flat();
          return rows.length === 5 && rows.every((row) => row.attempts >= 1) ? rows : undefined;
        });
        await first.close();
        replicas.pop();

        await receiver.start();
        const second = await startTestApp(webhookEnv(receiver, secret), { peer: holder });
        replicas.push(second);
        await makeEventsDueNow(holder, ids);

        await waitFor('every event delivered after the restart', async () => {
          const rows = (await Promise.all(ids.map((id) => eventRows(holder, id)))).flat();
          return rows.every((row) => row.delivered_at !== null) ? rows : undefined;
        });
        const accepted = receiver.deliveries
          .filter((delivery) => delivery.answered < 300)
          .map((delivery) => delivery.body.id);
        expect([...new Set(accepted)].sort()).toEqual(made.map((row) => row.id).sort());
        expect(
          receiver
            .acceptedFor(gone.igUserId)
            .map((d) => d.body.type)
            .sort(),
        ).toEqual(['connection.created', 'connection.deleted', 'connection.refreshed']);
      } finally {
        for (const replica of replicas) {
          await replica.close();
        }
        await holder.close();
        await receiver.stop();
      }
    });
  });

  describe('without WEBHOOK_URL', () => {
    const test = useTestApp();

    it('writes no events for a connect or a delete', async () => {
      const { igUserId } = await connectAccount(test);
      await test.http.delete(`/tokens/${igUserId}`).set(bearer(API_KEY.tokensWrite)).expect(204);

      expect((await allEvents(test)).length).toBe(0);
    });
  });
});
