export const WEBHOOK_EVENT_TYPES = [
  'connection.created',
  'connection.refreshed',
  'connection.invalid',
  'connection.expired',
  'connection.revoked',
  'connection.deleted',
  'connection.owner_conflict',
] as const;
export type WebhookEventType = (typeof WEBHOOK_EVENT_TYPES)[number];

/**
 * What an event says about its connection, built by the module that owns connections (the
 * public connection shape): the outbox only needs its id, to order and to forget events.
 */
export interface ConnectionSnapshot {
  igUserId: string;
}

/** What an event says besides the connection. */
export interface WebhookEventDetails {
  /** connection.owner_conflict: the owner a refused consent was for (the connection is unchanged). */
  attemptedOwnerId?: string;
}

/** The JSON body a webhook receiver gets; never holds a token. */
export interface WebhookEventBody<C extends ConnectionSnapshot = ConnectionSnapshot> {
  id: string;
  type: WebhookEventType;
  createdAt: string;
  data: { connection: C } & WebhookEventDetails;
}
