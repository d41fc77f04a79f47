import type { WebhookEventType } from '../../src/webhooks/webhook-event.js';
import type { TestApp } from './test-app.js';

/** The outbox rows (webhook_events) the tests read: one connection's, by the payload's id. */
export interface EventRow {
  id: string;
  type: WebhookEventType;
  attempts: number;
  last_error: string | null;
  delivered_at: Date | null;
  lease_owner: string | null;
  /** next_attempt_at > now() on the database's clock. */
  due_later: boolean;
  /** Seconds until next_attempt_at, on the database's clock. */
  next_attempt_in: number;
  payload: string;
}

/** Every event naming the connection, oldest first. */
export function eventRows(test: TestApp, igUserId: string): Promise<EventRow[]> {
  return test.sql<EventRow>(
    `SELECT id::text AS id, type, attempts, last_error, delivered_at, lease_owner,
            next_attempt_at > now() AS due_later,
            EXTRACT(EPOCH FROM next_attempt_at - now())::float AS next_attempt_in,
            payload::text AS payload
     FROM webhook_events
     WHERE payload -> 'data' -> 'connection' ->> 'igUserId' = $1
     ORDER BY created_at, type`,
    [igUserId],
  );
}

/** Every event in the outbox, with whether it was delivered. */
export function allEvents(test: TestApp): Promise<{ id: string; delivered_at: Date | null }[]> {
  return test.sql('SELECT id::text AS id, delivered_at FROM webhook_events');
}

/** Makes every undelivered event of these connections due now, as if its back-off had passed. */
export async function makeEventsDueNow(test: TestApp, igUserIds: string[]): Promise<void> {
  await test.sql(
    `UPDATE webhook_events SET next_attempt_at = now() - interval '1 second'
     WHERE delivered_at IS NULL AND payload -> 'data' -> 'connection' ->> 'igUserId' = ANY($1)`,
    [igUserIds],
  );
}

/**
 * Four events with an empty payload, as old as retention cares about: delivered 8 and 6 days
 * ago, given up 31 and 29 days ago.
 */
export async function insertAgedEvents(test: TestApp): Promise<void> {
  await test.sql(
    `INSERT INTO webhook_events (id, type, payload, delivered_at, failed_at) VALUES
      (gen_random_uuid(), 'connection.created', '{}', now() - interval '8 days', NULL),
      (gen_random_uuid(), 'connection.created', '{}', now() - interval '6 days', NULL),
      (gen_random_uuid(), 'connection.created', '{}', NULL, now() - interval '31 days'),
      (gen_random_uuid(), 'connection.created', '{}', NULL, now() - interval '29 days')`,
  );
}

/** Which of the aged events are left, delivered ones first. */
export async function agedEventsLeft(test: TestApp): Promise<{ delivered: boolean }[]> {
  return test.sql<{ delivered: boolean }>(
    `SELECT delivered_at IS NOT NULL AS delivered FROM webhook_events
     WHERE payload::text = '{}' ORDER BY delivered_at NULLS LAST`,
  );
}
