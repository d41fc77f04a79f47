import type { AppConfig } from '../config/app-config.js';

/** Headers come first and are small: they get at most this long, however long a request may take. */
const HEADERS_TIMEOUT_CAP_MS = 10_000;
/**
 * Node looks for requests past their deadline only every connectionsCheckingInterval (30 s by
 * default), so a slow client would outlive the deadline by up to that much.
 */
const CHECK_INTERVAL_CAP_MS = 1_000;
/** Longer than the usual load balancer idle timeout (60 s), so the balancer closes first. */
const KEEP_ALIVE_TIMEOUT_MS = 65_000;
/** The slowest answer waits on this many calls to Instagram in a row (a consent: three). */
const INSTAGRAM_CALLS_PER_REQUEST = 4;

/** How the HTTP server bounds what one client can hold. */
export interface ServerLimits {
  /** Receiving one whole request, headers and body. */
  requestTimeoutMs: number;
  /** Receiving the request line and headers. */
  headersTimeoutMs: number;
  /** How often Node checks the two above. */
  checkIntervalMs: number;
  /** A kept-alive connection with no request. */
  keepAliveTimeoutMs: number;
  /** A connection with nothing moving either way (a client that stops reading, say). */
  idleTimeoutMs: number;
  /** Open connections per replica; more are closed as they arrive. */
  maxConnections: number;
}

export function serverLimits(config: Pick<AppConfig, 'http' | 'instagram'>): ServerLimits {
  const requestTimeoutMs = config.http.requestTimeoutMs;
  return {
    requestTimeoutMs,
    // Node swaps the two when the headers timeout is the larger, silently making the whole
    // request's bound the larger one: keep it no larger.
    headersTimeoutMs: Math.min(HEADERS_TIMEOUT_CAP_MS, requestTimeoutMs),
    checkIntervalMs: Math.min(CHECK_INTERVAL_CAP_MS, requestTimeoutMs),
    keepAliveTimeoutMs: KEEP_ALIVE_TIMEOUT_MS,
    // Nothing moves while a request waits on Instagram: never cut a request shorter than that.
    idleTimeoutMs: requestTimeoutMs + INSTAGRAM_CALLS_PER_REQUEST * config.instagram.timeoutMs,
    maxConnections: config.http.maxConnections,
  };
}

/** The limits as Fastify's options; Node's own go in `http`, which Fastify hands to createServer. */
export function fastifyServerLimits(limits: ServerLimits) {
  return {
    requestTimeout: limits.requestTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionTimeout: limits.idleTimeoutMs,
    http: nodeServerLimits(limits),
  };
}

/** The limits as node:http's createServer options. */
export function nodeServerLimits(limits: ServerLimits) {
  return {
    requestTimeout: limits.requestTimeoutMs,
    headersTimeout: limits.headersTimeoutMs,
    keepAliveTimeout: limits.keepAliveTimeoutMs,
    connectionsCheckingInterval: limits.checkIntervalMs,
  };
}
