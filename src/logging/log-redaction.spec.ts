import { Writable } from 'node:stream';
import type pino from 'pino';
import { pinoHttp, type Options } from 'pino-http';
import { REDACTED } from '../common/redact.js';
import { redactSecrets } from './log-redaction.js';
import { loggerOptions } from './logger.options.js';

/** A logger made as nestjs-pino makes the service's (through pino-http), writing into an array. */
function capturedLogger(): { logger: pino.Logger; lines: () => Record<string, unknown>[] } {
  const chunks: string[] = [];
  const sink = new Writable({
    write(chunk: Buffer, _encoding, done) {
      chunks.push(chunk.toString('utf8'));
      done();
    },
  });
  const options = loggerOptions('info').pinoHttp as Options;
  const { logger } = pinoHttp(options, sink);
  const lines = () =>
    chunks
      .join('')
      .split('\n')
      .filter(Boolean)
      .map((line) => JSON.parse(line) as Record<string, unknown>);
  return { logger, lines };
}

describe('redactSecrets', () => {
  it.each([
    'accessToken',
    'access_token',
    'token',
    'code',
    'state',
    'secret',
    'appSecret',
    'client_secret',
    'authorization',
    'signed_request',
  ])('keeps %s out of a line, at the top and one level down', (name) => {
    const { logger, lines } = capturedLogger();

    logger.info({ [name]: 's3cr3t-top', call: { [name]: 's3cr3t-nested', kept: 'yes' } }, 'x');

    const [line] = lines();
    expect(JSON.stringify(line)).not.toContain('s3cr3t');
    expect(line[name]).toBe(REDACTED);
    expect(line.call).toEqual({ [name]: REDACTED, kept: 'yes' });
  });

  it("keeps node-postgres' client and secret fields off a logged error, which keeps its stack", () => {
    const { logger, lines } = capturedLogger();
    const error = Object.assign(new Error('connection terminated'), {
      client: { password: 's3cr3t-password' },
      token: 's3cr3t-token',
    });

    logger.warn({ err: error }, 'query failed');

    const [line] = lines();
    expect(JSON.stringify(line)).not.toContain('s3cr3t');
    expect(line.err).toMatchObject({
      type: 'Error',
      message: 'connection terminated',
      client: REDACTED,
      token: REDACTED,
    });
    expect((line.err as { stack: string }).stack).toMatch(/^Error: connection terminated\n\s+at /);
    expect(error.client.password).toBe('s3cr3t-password');
  });

  it('serializes an error logged under another name the same way', () => {
    const { logger, lines } = capturedLogger();
    const error = Object.assign(new Error('refresh failed'), { client: { password: 's3cr3t' } });

    logger.warn({ failure: error }, 'x');

    const [line] = lines();
    expect(JSON.stringify(line)).not.toContain('s3cr3t');
    expect(line.failure).toMatchObject({ message: 'refresh failed', client: REDACTED });
  });

  it('logs an object of a class whose getters need the original, with its secret replaced', () => {
    const { logger, lines } = capturedLogger();
    class Call {
      readonly #url = 'https://graph.test/me';
      accessToken = 's3cr3t-token';
      constructor() {
        // An own getter that works only on the object it was made on.
        Object.defineProperty(this, 'url', {
          enumerable: true,
          get(this: Call) {
            return this.#url;
          },
        });
      }
    }

    expect(() => logger.info({ call: new Call() }, 'x')).not.toThrow();

    const [line] = lines();
    expect(JSON.stringify(line)).not.toContain('s3cr3t');
    expect(line.call).toEqual({ accessToken: REDACTED, url: 'https://graph.test/me' });
  });

  it('keeps headers off an answer logged by hand, and the request binding to its allow-list', () => {
    const { logger, lines } = capturedLogger();
    const child = logger.child({
      req: { id: 'r-1', method: 'GET', url: '/x?code=s3cr3t-code', headers: { cookie: 's3cr3t' } },
    });

    child.info({ res: { statusCode: 200, headers: { 'set-cookie': 's3cr3t-cookie' } } }, 'y');

    const [line] = lines();
    expect(JSON.stringify(line)).not.toContain('s3cr3t');
    expect(line.req).toEqual({ id: 'r-1', method: 'GET', url: `/x?code=${REDACTED}` });
    expect(line.res).toEqual({ statusCode: 200 });
  });

  it('never changes the logged object, and hands back one without secrets as it is', () => {
    const clean = { igUserId: '17841400000000001', nested: { count: 2 }, list: [{ token: 'x' }] };
    const secret = { igUserId: '1', detail: { accessToken: 'IGQV' } };

    expect(redactSecrets(clean)).toBe(clean);
    const redacted = redactSecrets(secret);
    expect(redacted).toEqual({ igUserId: '1', detail: { accessToken: REDACTED } });
    expect(secret.detail.accessToken).toBe('IGQV');
  });
});
