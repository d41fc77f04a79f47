import { createServer, type IncomingHttpHeaders, type Server } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { ConnectionDto } from '../../src/tokens/dto/connection.dto.js';
import type { WebhookEventBody } from '../../src/webhooks/webhook-event.js';

export interface Delivery {
  path: string;
  headers: IncomingHttpHeaders;
  raw: string;
  body: WebhookEventBody<ConnectionDto>;
  /** The status the receiver answered. */
  answered: number;
}

/** A caller's webhook endpoint on loopback: records every POST and answers `status`. */
export class WebhookReceiver {
  readonly deliveries: Delivery[] = [];
  status = 200;
  private server: Server | undefined;
  private port = 0;

  get url(): string {
    return `http://127.0.0.1:${this.port}/hooks`;
  }

  /** Listens (again on the same port once it had one). */
  async start(): Promise<void> {
    const server = createServer((request, response) => {
      const chunks: Buffer[] = [];
      request.on('data', (chunk: Buffer) => chunks.push(chunk));
      request.on('end', () => {
        const raw = Buffer.concat(chunks).toString('utf8');
        this.deliveries.push({
          path: request.url ?? '',
          headers: request.headers,
          raw,
          body: JSON.parse(raw) as WebhookEventBody<ConnectionDto>,
          answered: this.status,
        });
        response.writeHead(this.status, { 'content-type': 'text/plain' }).end('ok');
      });
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(this.port, '127.0.0.1', () => resolve());
    });
    this.port = (server.address() as AddressInfo).port;
    this.server = server;
  }

  /** Stops listening: the port refuses connections until start() again. */
  async stop(): Promise<void> {
    const server = this.server;
    this.server = undefined;
    if (server !== undefined) {
      server.closeAllConnections();
      await new Promise<void>((resolve) => server.close(() => resolve()));
    }
  }

  /** Deliveries the receiver accepted (2xx) for one connection. */
  acceptedFor(igUserId: string): Delivery[] {
    return this.deliveries.filter(
      (delivery) =>
        delivery.answered < 300 && delivery.body.data?.connection?.igUserId === igUserId,
    );
  }
}
