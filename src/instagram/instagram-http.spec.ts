import { createServer, type Server, type Socket } from 'node:net';
import { InstagramHttp, TransportError } from './instagram-http.js';

const BODY = '{"ok":true}';
const ANSWER = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\nconnection: keep-alive\r\n\r\n${BODY}`;

/**
 * A server that keeps connections alive without saying for how long, and drops one either
 * after a short idle time or just as the next request arrives on it.
 */
async function forgetfulServer(
  drop: 'when idle' | 'on the next request',
): Promise<{ url: URL; server: Server; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket: Socket) => {
    connections += 1;
    let answered = 0;
    socket.on('data', () => {
      if (drop === 'on the next request' && answered > 0) {
        socket.destroy();
        return;
      }
      answered += 1;
      socket.write(ANSWER);
      if (drop === 'when idle') {
        setTimeout(() => socket.destroy(), 50);
      }
    });
    socket.on('error', () => undefined);
  });
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address() as { port: number };
  return {
    url: new URL(`http://127.0.0.1:${address.port}/me`),
    server,
    connections: () => connections,
  };
}

describe('InstagramHttp', () => {
  it.each(['when idle', 'on the next request'] as const)(
    'answers a call after the server dropped the kept-alive connection %s, over a fresh one',
    async (drop) => {
      const { url, server, connections } = await forgetfulServer(drop);
      const http = new InstagramHttp();
      try {
        expect((await http.send('GET', url, 2000)).text).toBe(BODY);
        await new Promise((resolve) => setTimeout(resolve, 150));
        const second = await http.send('GET', url, 2000);
        expect(second.status).toBe(200);
        expect(connections()).toBe(2);
      } finally {
        await http.close();
        server.close();
      }
    },
  );

  it('gives up on a server that never answers once the deadline passes, and says so', async () => {
    const silent = createServer((socket: Socket) => socket.on('error', () => undefined));
    await new Promise<void>((resolve) => silent.listen(0, '127.0.0.1', resolve));
    const { port } = silent.address() as { port: number };
    const http = new InstagramHttp();
    const startedAt = performance.now();
    try {
      const failure = await http
        .send('GET', new URL(`http://127.0.0.1:${port}/me`), 300)
        .catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(TransportError);
      expect((failure as TransportError).deadlinePassed).toBe(true);
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(250);
      expect(performance.now() - startedAt).toBeLessThan(5000);
    } finally {
      await http.close();
      silent.close();
    }
  });
});
