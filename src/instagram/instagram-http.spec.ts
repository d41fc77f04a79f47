import { createServer, type Server, type Socket } from 'node:net';
import { InstagramHttp } from './instagram-http.js';

/**
 * A server that keeps a connection alive without saying for how long, then drops it after a
 * short idle time: the next call on that connection meets a closed socket.
 */
async function forgetfulServer(
  idleMs: number,
): Promise<{ url: URL; server: Server; connections: () => number }> {
  let connections = 0;
  const server = createServer((socket: Socket) => {
    connections += 1;
    let idle: NodeJS.Timeout | undefined;
    socket.on('data', () => {
      clearTimeout(idle);
      const body = '{"ok":true}';
      socket.write(
        `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${body.length}\r\nconnection: keep-alive\r\n\r\n${body}`,
      );
      idle = setTimeout(() => socket.destroy(), idleMs);
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
  it('answers a call that met a kept-alive connection the server dropped, over a fresh one', async () => {
    const { url, server, connections } = await forgetfulServer();
    const http = new InstagramHttp();
    try {
      expect((await http.send('GET', url, 2000)).text).toBe('{"ok":true}');
      const second = await http.send('GET', url, 2000);
      expect(second.status).toBe(200);
      expect(connections()).toBe(2);
    } finally {
      await http.close();
      server.close();
    }
  });
});
