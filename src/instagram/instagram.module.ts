import { Agent as HttpAgent } from 'node:http';
import { Agent as HttpsAgent } from 'node:https';
import { HttpModule } from '@nestjs/axios';
import { Module } from '@nestjs/common';
import { InstagramClient } from './instagram.client.js';

const KEEP_ALIVE = { keepAlive: true, maxSockets: 64, maxFreeSockets: 16 };

@Module({
  imports: [
    HttpModule.registerAsync({
      // Agents per app instance, so closing one app closes its own sockets (InstagramClient).
      useFactory: () => ({
        httpAgent: new HttpAgent(KEEP_ALIVE),
        httpsAgent: new HttpsAgent(KEEP_ALIVE),
        proxy: false,
      }),
    }),
  ],
  providers: [InstagramClient],
  exports: [InstagramClient],
})
export class InstagramModule {}
