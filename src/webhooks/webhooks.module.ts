import { Module } from '@nestjs/common';
import { WebhookDispatcher } from './webhook.dispatcher.js';
import { WebhookEventsRepository } from './webhook-events.repository.js';
import { WebhookOutbox } from './webhook-outbox.js';

/** Delivers connection events to callers; owns webhook_events. Knows nothing of the vault. */
@Module({
  providers: [WebhookOutbox, WebhookEventsRepository, WebhookDispatcher],
  exports: [WebhookOutbox],
})
export class WebhooksModule {}
