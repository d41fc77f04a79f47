import { STATUS_CODES } from 'node:http';
import type { Socket } from 'node:net';
import type { SecurityHeadersOptions } from '@nestjs/common';
import { resolveSecurityHeaders } from '@nestjs/core/security/security-headers.js';
import type { FastifyError, FastifyReply, FastifyRequest } from 'fastify';
import { mapTransportError } from './error-mapping.js';
import { PROBLEM_CONTENT_TYPE } from './problem.js';

/** What app.useSecurityHeaders() is given; the answers below, made outside Nest, send the same. */
export const SECURITY_HEADERS: SecurityHeadersOptions = { contentSecurityPolicy: false };

const securityHeaders = resolveSecurityHeaders(SECURITY_HEADERS).headers;

/** Headers of every answer made here: no caching, the security headers, a problem body. */
function problemHeaders(body: string): Record<string, string> {
  return {
    ...Object.fromEntries(securityHeaders),
    'cache-control': 'no-store',
    'content-type': `${PROBLEM_CONTENT_TYPE}; charset=utf-8`,
    'content-length': String(Buffer.byteLength(body)),
  };
}

/**
 * Fastify's router refuses a malformed URL (400) or an over-long path parameter (414) before
 * any hook or Nest runs; its own answer echoes the path. This one is the usual problem.
 */
export function answerFrameworkError(
  error: FastifyError,
  request: FastifyRequest,
  reply: FastifyReply,
): void {
  const { problem, headers } = mapTransportError(error);
  const body = JSON.stringify(problem);
  void reply
    .status(problem.status)
    .headers({ ...headers, ...problemHeaders(body), 'x-request-id': request.id })
    .send(body);
}

/**
 * Node's HTTP parser refuses some requests before Fastify sees them: headers over 16 KiB (431),
 * a request not received within the timeouts (408), bytes that are not HTTP (400). The answer
 * is written on the socket, which is then closed.
 */
export function answerClientError(error: Error & { code?: string }, socket: Socket): void {
  if (error.code === 'ECONNRESET' || socket.destroyed) {
    return;
  }
  // A response already under way (headers sent) cannot be replaced; the socket just closes.
  const response = (socket as Socket & { _httpMessage?: { headersSent?: boolean } })._httpMessage;
  if (socket.writable && response?.headersSent !== true) {
    const { problem } = mapTransportError(error);
    const body = JSON.stringify(problem);
    const headers = { ...problemHeaders(body), connection: 'close' };
    socket.write(
      `HTTP/1.1 ${problem.status} ${STATUS_CODES[problem.status] ?? ''}\r\n` +
        Object.entries(headers)
          .map(([name, value]) => `${name}: ${value}\r\n`)
          .join('') +
        `\r\n${body}`,
    );
  }
  socket.destroy();
}
