import type { ConnectionDto } from '../tokens/dto/connection.dto.js';

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

/** What an event says besides the connection. */
export interface WebhookEventDetails {
  /** connection.owner_conflict: the owner a refused consent was for (the connection is unchanged). */
  attemptedOwnerId?: string;
}

/** The JSON body a webhook receiver gets; never holds a token. */
export interface WebhookEventBody {
  id: string;
  type: WebhookEventType;
  createdAt: string;
  data: { connection: ConnectionDto } & WebhookEventDetails;
}
