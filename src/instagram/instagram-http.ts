import { Agent, type Dispatcher } from 'undici';
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

const FORM_HEADERS = { 'content-type': 'application/x-www-form-urlencoded' };
const UTF8_BOM = [0xef, 0xbb, 0xbf];

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

  private once(
    method: 'GET' | 'POST',
    url: URL,
    signal: AbortSignal,
    form?: URLSearchParams,
  ): Promise<HttpAnswer> {
    return new Promise((resolve, reject) => {
      const collector = new AnswerCollector(signal, resolve, reject);
      this.agent.dispatch(
        {
          origin: url.origin,
          path: `${url.pathname}${url.search}`,
          method,
          headers: form === undefined ? undefined : FORM_HEADERS,
          body: form?.toString(),
        },
        collector,
      );
    });
  }

  async close(): Promise<void> {
    await this.agent.destroy().catch(() => undefined);
  }
}

/**
 * One answer, whole, straight from undici's dispatcher: what its `request()` answers (parsed
 * headers, the body as UTF-8 without a byte-order mark) without the body stream and async
 * resource it builds per call, which cost a third of a call's CPU and garbage (BENCHMARKS.md).
 * The deadline also ends a call still waiting for a connection, which undici would otherwise
 * abort only once it starts the request.
 */
class AnswerCollector implements Dispatcher.DispatchHandler {
  private status = 0;
  private headers: HttpAnswer['headers'] = {};
  private readonly chunks: Buffer[] = [];
  private controller: Dispatcher.DispatchController | undefined;
  private settled = false;
  private readonly onAbort = (): void => {
    if (this.controller === undefined) {
      this.fail(this.signal.reason);
    } else {
      this.controller.abort(this.signal.reason as Error);
    }
  };

  constructor(
    private readonly signal: AbortSignal,
    private readonly resolve: (answer: HttpAnswer) => void,
    private readonly reject: (error: unknown) => void,
  ) {
    signal.addEventListener('abort', this.onAbort, { once: true });
  }

  onRequestStart(controller: Dispatcher.DispatchController): void {
    this.controller = controller;
    if (this.signal.aborted) {
      controller.abort(this.signal.reason as Error);
    }
  }

  onResponseStart(
    _controller: Dispatcher.DispatchController,
    statusCode: number,
    headers: HttpAnswer['headers'],
  ): void {
    // 1xx answers are interim; the final status and headers follow.
    if (statusCode >= 200) {
      this.status = statusCode;
      this.headers = headers;
    }
  }

  onResponseData(_controller: Dispatcher.DispatchController, chunk: Buffer): void {
    this.chunks.push(chunk);
  }

  onResponseEnd(): void {
    let answer: HttpAnswer;
    try {
      answer = { status: this.status, headers: this.headers, text: this.text() };
    } catch (error) {
      this.fail(error);
      return;
    }
    if (this.settle()) {
      this.resolve(answer);
    }
  }

  onResponseError(_controller: Dispatcher.DispatchController, error: Error): void {
    this.fail(error);
  }

  private text(): string {
    const body = this.chunks.length === 1 ? this.chunks[0] : Buffer.concat(this.chunks);
    const bom = UTF8_BOM.every((byte, index) => body[index] === byte);
    return body.toString('utf8', bom ? UTF8_BOM.length : 0);
  }

  private fail(error: unknown): void {
    if (this.settle()) {
      this.reject(error);
    }
  }

  /** True the first time: the call is over, and its listener goes. */
  private settle(): boolean {
    if (this.settled) {
      return false;
    }
    this.settled = true;
    this.signal.removeEventListener('abort', this.onAbort);
    return true;
  }
}
