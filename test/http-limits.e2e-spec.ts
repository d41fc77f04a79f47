import { connect, type Socket } from 'node:net';
import type { Response } from 'supertest';
import { expectProblem } from './support/assertions.js';
import {
  API_KEY,
  bearer,
  listenOnLoopback,
  REDIRECT_URI,
  type TestApp,
  useTestApp,
} from './support/test-app.js';

const REQUEST_TIMEOUT_MS = 2000;
/** Node checks deadlines once a second (our connectionsCheckingInterval); the rest is slack. */
const CUT_OFF_BOUND_MS = REQUEST_TIMEOUT_MS + 1000 + 1500;

interface ClosedSocket {
  /** From the first byte sent to the socket's close. */
  ms: number;
  /** Everything the server wrote. */
  answer: string;
}

/** The test app served on a loopback port, for the rest of its describe block; the port. */
function useLoopbackPort(test: TestApp): () => number {
  let port = 0;
  beforeAll(async () => {
    port = Number(new URL(await listenOnLoopback(test)).port);
  });
  return () => port;
}

/**
 * A client that sends `head`, then what `drip` gives every `everyMs` (until it gives nothing),
 * until the server closes the socket or `giveUpMs` passes (then it closes it, and says so).
 */
function slowClient(
  port: number,
  head: string,
  drip: () => string | undefined,
  everyMs: number,
  giveUpMs: number,
): Promise<ClosedSocket> {
  return new Promise((resolve) => {
    const socket: Socket = connect(port, '127.0.0.1');
    const chunks: Buffer[] = [];
    let startedAt = Date.now();
    let timer: NodeJS.Timeout | undefined;
    const giveUp = setTimeout(() => {
      chunks.push(Buffer.from('[client gave up]'));
      socket.destroy();
    }, giveUpMs);
    socket.on('connect', () => {
      startedAt = Date.now();
      socket.write(head);
      timer = setInterval(() => {
        const next = drip();
        if (next === undefined) {
          clearInterval(timer);
        } else if (socket.writable) {
          socket.write(next);
        }
      }, everyMs);
    });
    socket.on('data', (chunk: Buffer) => chunks.push(chunk));
    socket.on('error', () => undefined);
    socket.on('close', () => {
      clearInterval(timer);
      clearTimeout(giveUp);
      resolve({ ms: Date.now() - startedAt, answer: Buffer.concat(chunks).toString('utf8') });
    });
  });
}

/** Status line and parsed body of a raw HTTP answer. */
function parseAnswer(answer: string): { statusLine: string; headers: string; body: unknown } {
  const [head, body] = answer.split('\r\n\r\n');
  const [statusLine, ...headers] = head.split('\r\n');
  return { statusLine, headers: headers.join('\n').toLowerCase(), body: JSON.parse(body) };
}

describe('HTTP server limits', () => {
  describe('slow clients', () => {
    const test = useTestApp({ HTTP_REQUEST_TIMEOUT_MS: String(REQUEST_TIMEOUT_MS) });
    const loopbackPort = useLoopbackPort(test);

    it('cuts off clients that trickle or withhold headers or a body, with a 408 problem, soon after the limit', async () => {
      const port = loopbackPort();
      const slowHeaders = 'GET /health/live HTTP/1.1\r\nHost: vault.test\r\n';
      const slowBody =
        'POST /auth/instagram/token HTTP/1.1\r\nHost: vault.test\r\n' +
        `Authorization: Bearer ${API_KEY.tokensWrite}\r\n` +
        'Content-Type: application/json\r\nContent-Length: 4000\r\n\r\n{"code":"';

      // Five of each: trickling headers, trickling a body, and both again gone silent.
      const kinds = [
        () => slowClient(port, slowHeaders, () => 'X-Slow: 1\r\n', 250, 15_000),
        () => slowClient(port, slowBody, () => 'a', 250, 15_000),
        () => slowClient(port, slowHeaders, () => undefined, 250, 15_000),
        () => slowClient(port, slowBody, () => undefined, 250, 15_000),
      ];
      const closed = await Promise.all(
        Array.from({ length: 20 }, (_, index) => kinds[index % kinds.length]()),
      );

      for (const { ms, answer } of closed) {
        expect(answer).not.toContain('[client gave up]');
        expect(ms).toBeGreaterThanOrEqual(REQUEST_TIMEOUT_MS - 100);
        expect(ms).toBeLessThan(CUT_OFF_BOUND_MS);
        const { statusLine, headers, body } = parseAnswer(answer);
        expect(statusLine).toBe('HTTP/1.1 408 Request Timeout');
        expect(headers).toContain('content-type: application/problem+json');
        expect(headers).toContain('connection: close');
        expect(headers).toContain('x-content-type-options: nosniff');
        expect(body).toMatchObject({ status: 408, code: 'request_timeout' });
      }
    }, 20_000);

    it('lets a request that arrives slowly but within the limit through', async () => {
      const port = loopbackPort();
      const body = [...JSON.stringify({ ownerId: 'slow-but-steady' })];
      const head =
        'POST /auth/instagram/authorization-urls HTTP/1.1\r\nHost: vault.test\r\n' +
        `Authorization: Bearer ${API_KEY.tokensWrite}\r\nContent-Type: application/json\r\n` +
        `Content-Length: ${body.length}\r\nConnection: close\r\n\r\n`;

      // 29 bytes, one every 30 ms: most of a second of the 2 s allowed.
      const done = await slowClient(port, head, () => body.shift(), 30, 10_000);

      expect(done.answer).toMatch(/^HTTP\/1\.1 201 Created/);
      expect(done.ms).toBeGreaterThan(800);
    });
  });

  describe('open connections', () => {
    const test = useTestApp({ HTTP_MAX_CONNECTIONS: '5' });
    const loopbackPort = useLoopbackPort(test);

    it('closes connections beyond the cap at once, and takes new ones when some close', async () => {
      const port = loopbackPort();
      const open = (): Promise<Socket> =>
        new Promise((resolve, reject) => {
          const socket = connect(port, '127.0.0.1', () => resolve(socket));
          socket.once('error', reject);
        });
      const held = await Promise.all(Array.from({ length: 5 }, open));
      try {
        const extra = await slowClient(
          port,
          'GET /health/live HTTP/1.1\r\nHost: vault.test\r\n\r\n',
          () => undefined,
          1000,
          3000,
        );
        expect(extra.answer).toBe('');
        expect(extra.ms).toBeLessThan(1000);

        held.pop()?.destroy();
        await new Promise((resolve) => setTimeout(resolve, 100));
        const admitted = await slowClient(
          port,
          'GET /health/live HTTP/1.1\r\nHost: vault.test\r\nConnection: close\r\n\r\n',
          () => undefined,
          1000,
          3000,
        );
        expect(admitted.answer).toMatch(/^HTTP\/1\.1 200 OK/);
      } finally {
        for (const socket of held) {
          socket.destroy();
        }
      }
    });
  });

  describe("Fastify's and Node's own refusals", () => {
    const test = useTestApp();

    function expectBareProblem(response: Response, status: number, code: string): void {
      expectProblem(response, status, code);
      expect(response.headers['cache-control']).toBe('no-store');
      expect(response.headers['x-content-type-options']).toBe('nosniff');
      expect(response.headers['strict-transport-security']).toMatch(/max-age=\d+/);
    }

    it('answers a path parameter over the router limit with a 414 problem that does not echo it', async () => {
      const marker = `9${'1'.repeat(199)}`;
      const response = await test.http.get(`/tokens/${marker}`).set(bearer(API_KEY.tokensRead));

      expectBareProblem(response, 414, 'uri_too_long');
      expect(response.text).not.toContain(marker);
    });

    it('answers a malformed URL with a 400 problem that does not echo it', async () => {
      const response = await test.http
        .get('/tokens/%E0%A4%Z-echo-me')
        .set(bearer(API_KEY.tokensRead));

      expectBareProblem(response, 400, 'malformed_request');
      expect(response.text).not.toContain('echo-me');
    });

    it('answers headers over 16 KiB with a 431 problem and closes the connection', async () => {
      const response = await test.http
        .get('/health/live')
        .set('x-padding', `echo-me-${'a'.repeat(20_000)}`);

      expectBareProblem(response, 431, 'headers_too_large');
      expect(response.headers.connection).toBe('close');
      expect(response.text).not.toContain('echo-me');
    });

    it.each([
      ['text/plain', 'echo-me plain'],
      ['application/xml', '<echo-me/>'],
    ])('answers a %s body with a 415 problem', async (type, body) => {
      const response = await test.http
        .post('/auth/instagram/token')
        .set(bearer(API_KEY.tokensWrite))
        .set('content-type', type)
        .send(body);

      expectBareProblem(response, 415, 'unsupported_media_type');
      expect(response.text).not.toContain('echo-me');
    });

    it('answers JSON that does not parse with a 400 problem that does not echo it', async () => {
      const response = await test.http
        .post('/auth/instagram/token')
        .set(bearer(API_KEY.tokensWrite))
        .set('content-type', 'application/json')
        .send('{"code": echo-me');

      expectBareProblem(response, 400, 'validation_failed');
      expect(response.body.detail).toBe('The request body is not valid JSON.');
      expect(response.text).not.toContain('echo-me');
    });

    it('answers an unknown path with a 404 problem that does not echo it', async () => {
      const response = await test.http.get('/echo-me/please');

      expectBareProblem(response, 404, 'not_found');
      expect(response.text).not.toContain('echo-me');
    });

    it('answers a method a path does not take with 405 and Allow', async () => {
      const response = await test.http
        .put('/tokens/17841400000000001')
        .set(bearer(API_KEY.tokensWrite));

      expectBareProblem(response, 405, 'method_not_allowed');
      expect(response.headers.allow).toBe('GET, HEAD, DELETE');
    });

    it('answers a body over 16 KiB with a 413 problem', async () => {
      const response = await test.http
        .post('/auth/instagram/token')
        .set(bearer(API_KEY.tokensWrite))
        .send({ code: `echo-me-${'x'.repeat(20 * 1024)}` });

      expectBareProblem(response, 413, 'payload_too_large');
      expect(response.text).not.toContain('echo-me');
    });
  });

  describe('caching', () => {
    const test = useTestApp();

    it('forbids caching the revealed token, and every other internal answer', async () => {
      const code = test.emulator.issueCode({
        appId: test.appId,
        redirectUri: REDIRECT_URI,
        scopes: ['instagram_business_basic'],
      });
      const connected = await test.http
        .post('/auth/instagram/token')
        .set(bearer(API_KEY.tokensWrite))
        .send({ code })
        .expect(201);
      const igUserId = connected.body.igUserId as string;

      const answers = [
        connected,
        await test.http
          .get(`/tokens/${igUserId}/access-token`)
          .set(bearer(API_KEY.tokensReveal))
          .expect(200),
        await test.http.get(`/tokens/${igUserId}`).set(bearer(API_KEY.tokensRead)).expect(200),
        await test.http.get('/tokens').set(bearer(API_KEY.tokensRead)).expect(200),
        await test.http.get(`/users/${igUserId}`).set(bearer(API_KEY.usersRead)).expect(200),
        await test.http.get('/tokens').expect(401),
      ];

      for (const answer of answers) {
        expect(answer.headers['cache-control']).toBe('no-store');
      }
    });
  });
});
