import { once } from 'node:events';
import { createServer, type Socket, connect } from 'node:net';
import { LoopTurns } from './loop-turns.js';

/** Holds the thread, as a piece of background work does. */
function busyFor(ms: number): void {
  const until = performance.now() + ms;
  while (performance.now() < until) {
    // spin
  }
}

describe('LoopTurns', () => {
  it('lets every waiter go, in the order they asked', async () => {
    const turns = new LoopTurns();
    const order: number[] = [];
    await Promise.all(
      Array.from({ length: 100 }, (_, index) => turns.next().then(() => order.push(index))),
    );
    expect(order).toEqual(Array.from({ length: 100 }, (_, index) => index));
  });

  it('serves I/O that arrived meanwhile before the next waiter goes on', async () => {
    const received: Socket[] = [];
    const server = createServer((socket) => received.push(socket));
    server.listen(0, '127.0.0.1');
    await once(server, 'listening');
    const { port } = server.address() as { port: number };
    const client = connect(port, '127.0.0.1');
    try {
      await once(client, 'connect');
      while (received.length === 0) {
        await new Promise((resolve) => setImmediate(resolve));
      }
      const events: string[] = [];
      received[0].on('data', () => events.push('request'));
      const turns = new LoopTurns();
      await Promise.all([
        turns.next().then(() => {
          events.push('first');
          // A request comes in while the first piece of work still holds the thread.
          client.write('GET / HTTP/1.1\r\n\r\n');
          busyFor(20);
        }),
        turns.next().then(() => events.push('second')),
      ]);
      expect(events).toEqual(['first', 'request', 'second']);
    } finally {
      client.destroy();
      received.forEach((socket) => socket.destroy());
      server.close();
    }
  });
});
