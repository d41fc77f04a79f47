import { createServer, type Server, type Socket } from 'node:net';
import { InstagramHttp, TransportError } from './instagram-http.js';

const BODY = '{"ok":true}';
const ANSWER = `HTTP/1.1 200 OK\r\ncontent-type: application/json\r\ncontent-length: ${BODY.length}\r\nconnection: keep-alive\r\n\r\n${BODY}`;

/** Starts `server` on a free loopback port; answers the URL of `path` on it. */
async function listening(server: Server, path: string): Promise<URL> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const { port } = server.address() as { port: number };
  return new URL(`http://127.0.0.1:${port}${path}`);
}

/** A server that takes connections and never answers. */
async function silentServer(): Promise<{ url: URL; server: Server }> {
  const server = createServer((socket: Socket) => socket.on('error', () => undefined));
  return { url: await listening(server, '/me'), server };
}

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
  return { url: await listening(server, '/me'), server, connections: () => connections };
}

/** A server that answers every request with `answer(request)`, written as it says. */
async function rawServer(
  answer: (request: string, socket: Socket) => void,
): Promise<{ url: URL; server: Server }> {
  const server = createServer((socket: Socket) => {
    let request = '';
    socket.on('data', (chunk) => {
      request += chunk.toString('latin1');
      const headEnd = request.indexOf('\r\n\r\n');
      const length = Number(/content-length: (\d+)/i.exec(request)?.[1] ?? 0);
      if (headEnd >= 0 && request.length >= headEnd + 4 + length) {
        answer(request, socket);
        request = '';
      }
    });
    socket.on('error', () => undefined);
  });
  return { url: await listening(server, '/me?fields=id'), server };
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
    const { url, server } = await silentServer();
    const http = new InstagramHttp();
    const startedAt = performance.now();
    try {
      const failure = await http.send('GET', url, 300).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(TransportError);
      expect((failure as TransportError).deadlinePassed).toBe(true);
      expect(performance.now() - startedAt).toBeGreaterThanOrEqual(250);
      expect(performance.now() - startedAt).toBeLessThan(5000);
    } finally {
      await http.close();
      server.close();
    }
  });

  it('answers the status, the headers by lower-case name and the body as text, however it arrives', async () => {
    const body = Buffer.from('\ufeff{"name":"Zoë 🙂"}', 'utf8');
    const { url, server } = await rawServer((_request, socket) => {
      socket.write(
        `HTTP/1.1 400 Bad Request\r\nContent-Type: application/json\r\n` +
          `X-App-Usage: {"call_count":5}\r\nSet-Cookie: a=1\r\nSet-Cookie: b=2\r\n` +
          `Content-Length: ${body.length}\r\n\r\n`,
      );
      // Split inside a multi-byte character, a write apart.
      socket.write(body.subarray(0, body.length - 3));
      setTimeout(() => socket.write(body.subarray(body.length - 3)), 20);
    });
    const http = new InstagramHttp();
    try {
      const answer = await http.send('GET', url, 2000);

      expect(answer.status).toBe(400);
      expect(answer.headers['content-type']).toBe('application/json');
      expect(answer.headers['x-app-usage']).toBe('{"call_count":5}');
      expect(answer.headers['set-cookie']).toEqual(['a=1', 'b=2']);
      expect(answer.text).toBe('{"name":"Zoë 🙂"}');
    } finally {
      await http.close();
      server.close();
    }
  });

  it('sends a form as a URL-encoded body, and the path with its query', async () => {
    let received = '';
    const { url, server } = await rawServer((request, socket) => {
      received = request;
      socket.write(ANSWER);
    });
    const http = new InstagramHttp();
    try {
      const answer = await http.send(
        'POST',
        url,
        2000,
        new URLSearchParams({ client_id: '1', code: 'a b' }),
      );

      expect(answer.text).toBe(BODY);
      expect(received).toMatch(/^POST \/me\?fields=id HTTP\/1\.1\r\n/);
      expect(received).toMatch(/content-type: application\/x-www-form-urlencoded\r\n/i);
      expect(received.endsWith('\r\n\r\nclient_id=1&code=a+b')).toBe(true);
    } finally {
      await http.close();
      server.close();
    }
  });

  it('gives up when the deadline passes halfway through the body', async () => {
    const { url, server } = await rawServer((_request, socket) => {
      socket.write('HTTP/1.1 200 OK\r\ncontent-length: 100\r\n\r\n{"id":');
    });
    const http = new InstagramHttp();
    try {
      const failure = await http.send('GET', url, 300).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(TransportError);
      expect((failure as TransportError).deadlinePassed).toBe(true);
      expect(((failure as TransportError).reason as Error).name).toBe('TimeoutError');
    } finally {
      await http.close();
      server.close();
    }
  });

  it('gives up at its deadline on a call still waiting for a connection, all of them busy', async () => {
    const { url, server } = await silentServer();
    const http = new InstagramHttp();
    // The agent's 64 connections, each held by a call with a long deadline.
    const holders = Array.from({ length: 64 }, () =>
      http.send('GET', url, 20_000).catch(() => undefined),
    );
    try {
      const startedAt = performance.now();
      const failure = await http.send('GET', url, 300).catch((error: unknown) => error);

      expect((failure as TransportError).deadlinePassed).toBe(true);
      expect(performance.now() - startedAt).toBeLessThan(5000);
    } finally {
      await http.close();
      await Promise.all(holders);
      server.close();
    }
  });

  it('refuses an answer larger than 8 MiB', async () => {
    const size = 9 * 1024 * 1024;
    let written = 0;
    const { url, server } = await rawServer((_request, socket) => {
      socket.write(`HTTP/1.1 200 OK\r\ncontent-length: ${size}\r\n\r\n`);
      const chunk = Buffer.alloc(64 * 1024, 0x20);
      const more = (): void => {
        while (written < size && !socket.destroyed) {
          written += chunk.length;
          if (!socket.write(chunk)) {
            socket.once('drain', more);
            return;
          }
        }
      };
      more();
    });
    const http = new InstagramHttp();
    try {
      const failure = await http.send('GET', url, 5000).catch((error: unknown) => error);

      expect(failure).toBeInstanceOf(TransportError);
      expect((failure as TransportError).deadlinePassed).toBe(false);
      expect(((failure as TransportError).reason as { code?: string }).code).toBe(
        'UND_ERR_RES_EXCEEDED_MAX_SIZE',
      );
    } finally {
      await http.close();
      server.close();
    }
  });
});
