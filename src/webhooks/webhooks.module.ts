import { Global, Module } from '@nestjs/common';
import { WebhookDispatcher } from './webhook.dispatcher.js';
import { WebhookEventsRepository } from './webhook-events.repository.js';
import { WebhookOutbox } from './webhook-outbox.js';

@Global()
@Module({
  providers: [WebhookOutbox, WebhookEventsRepository, WebhookDispatcher],
  exports: [WebhookOutbox, WebhookDispatcher],
})
export class WebhooksModule {}
