import { Agent, request } from 'undici';
import { Deadline } from '../common/deadline.js';

/** Instagram's answers are small; anything far larger is not an answer we can use. */
const MAX_RESPONSE_BYTES = 8 * 1024 * 1024;

export interface HttpAnswer {
  status: number;
  headers: Record<string, string | string[] | undefined>;
  text: string;
}

/** A failure below HTTP, and whether our own deadline caused it. */
export class TransportError extends Error {
  constructor(
    readonly reason: unknown,
    readonly deadlinePassed: boolean,
  ) {
    super('transport failure');
    this.name = 'TransportError';
  }
}

/**
 * The server dropped a kept-alive connection just as our request went out on it: nothing was
 * answered, and a fresh connection usually succeeds.
 */
const STALE_CONNECTION_CODES = new Set(['UND_ERR_SOCKET', 'ECONNRESET', 'EPIPE', 'UND_ERR_CLOSED']);

/**
 * HTTP to Instagram over undici: keep-alive connections per origin (closed after 4 s idle, or
 * sooner when the server says so), no redirects followed, no proxy from the environment, and one
 * deadline per call covering connect, headers, body and one retry on a dropped connection.
 */
export class InstagramHttp {
  private readonly agent = new Agent({
    connections: 64,
    keepAliveTimeout: 4_000,
    maxResponseSize: MAX_RESPONSE_BYTES,
  });

  async send(
    method: 'GET' | 'POST',
    url: URL,
    timeoutMs: number,
    form?: URLSearchParams,
  ): Promise<HttpAnswer> {
    const deadline = new Deadline(timeoutMs);
    try {
      return await this.attempts(method, url, deadline.signal, form);
    } finally {
      deadline.clear();
    }
  }

  /** The call, and once more on a fresh connection if a kept-alive one was dropped under it. */
  private async attempts(
    method: 'GET' | 'POST',
    url: URL,
    signal: AbortSignal,
    form?: URLSearchParams,
  ): Promise<HttpAnswer> {
    for (let attempt = 1; ; attempt++) {
      try {
        return await this.once(method, url, signal, form);
      } catch (error) {
        const code = (error as { code?: unknown }).code;
        const dropped = typeof code === 'string' && STALE_CONNECTION_CODES.has(code);
        if (attempt === 1 && dropped && !signal.aborted) {
          continue;
        }
        throw new TransportError(error, signal.aborted);
      }
    }
  }

  private async once(
    method: 'GET' | 'POST',
    url: URL,
    signal: AbortSignal,
    form?: URLSearchParams,
  ): Promise<HttpAnswer> {
    const response = await request(url, {
      method,
      dispatcher: this.agent,
      signal,
      headers:
        form === undefined ? undefined : { 'content-type': 'application/x-www-form-urlencoded' },
      body: form?.toString(),
    });
    return {
      status: response.statusCode,
      headers: response.headers,
      text: await response.body.text(),
    };
  }

  async close(): Promise<void> {
    await this.agent.destroy().catch(() => undefined);
  }
}
