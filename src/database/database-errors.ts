/**
 * What a failed query means, read from whatever layer threw it: node-postgres (socket errors,
 * its own timeouts, SQLSTATEs), Prisma's driver adapter (kinds) or Prisma itself (P-codes).
 */

/** Thrown without a query when the database is known to be down (the pool is shut: see DatabasePool). */
export class DatabaseUnavailableError extends Error {
  constructor(message = 'the database is unreachable') {
    super(message);
    this.name = 'DatabaseUnavailableError';
  }
}

/** The connection itself failed: refused, reset, unreachable. */
const SOCKET_CODES = new Set([
  'ECONNREFUSED',
  'ECONNRESET',
  'ETIMEDOUT',
  'ENOTFOUND',
  'EPIPE',
  'EHOSTUNREACH',
  'ENETUNREACH',
  'EAI_AGAIN',
]);
const LOST_ADAPTER_KINDS = new Set(['DatabaseNotReachable', 'ConnectionClosed', 'SocketTimeout']);
/** Can't reach the server, timed out reaching it, the server closed the connection. */
const LOST_PRISMA_CODES = new Set(['P1001', 'P1002', 'P1017']);
/** node-postgres' own connection failures carry no code, only these messages. */
const LOST_DRIVER_MESSAGES =
  /^Connection terminated|^Client has encountered a connection error|^Client was closed/i;
/** Operations timed out, no free connection, no transaction slot, too many connections. */
const BUSY_PRISMA_CODES = new Set(['P1008', 'P2024', 'P2028', 'P2037']);
/** Waiting for a free connection, or a server that went silent on a query. */
const BUSY_DRIVER_MESSAGES = /^timeout exceeded when trying to connect|^Query read timeout/i;
/** Prisma's input validation codes: a value too long, invalid or out of range. */
const PRISMA_INPUT_CODES = new Set(['P2000', 'P2007', 'P2020']);
const ADAPTER_INPUT_KINDS = new Set(['LengthMismatch', 'ValueOutOfRange', 'InvalidInputValue']);

/**
 * The connection to PostgreSQL is gone (refused, dropped, the server shutting down): the pool
 * shuts until a probe gets through. Only errors of the database's own layers count; an error an
 * HTTP client's socket raised is no sign of the database.
 */
export function isDatabaseConnectionLost(error: unknown): boolean {
  return databaseLayers(error).some((layer) => {
    if (layer instanceof DatabaseUnavailableError) {
      return true;
    }
    const code = stringField(layer, 'code');
    const sqlState = sqlStateOf(layer);
    return (
      (code !== undefined && (SOCKET_CODES.has(code) || LOST_PRISMA_CODES.has(code))) ||
      LOST_ADAPTER_KINDS.has(stringField(layer, 'kind') ?? '') ||
      (sqlState !== undefined && (sqlState.startsWith('08') || /^57P0[1-3]$/.test(sqlState))) ||
      (isError(layer) && code === undefined && LOST_DRIVER_MESSAGES.test(layer.message))
    );
  });
}

/**
 * The database could not be reached or did not answer in time: worth retrying later (503).
 * Either the connection is lost, or the database is up but too busy: a statement or pool wait
 * timed out, or it has no connection to spare. Only the first shuts the pool.
 */
export function isDatabaseUnavailable(error: unknown): boolean {
  if (isDatabaseConnectionLost(error)) {
    return true;
  }
  return databaseLayers(error).some((layer) => {
    const code = stringField(layer, 'code');
    const sqlState = sqlStateOf(layer);
    return (
      BUSY_PRISMA_CODES.has(code ?? '') ||
      stringField(layer, 'kind') === 'TooManyConnections' ||
      (sqlState !== undefined && (sqlState === '57014' || sqlState.startsWith('53'))) ||
      (isError(layer) && code === undefined && BUSY_DRIVER_MESSAGES.test(layer.message))
    );
  });
}

/** PostgreSQL refused a value (a NUL byte, a string too long): the caller's input, not ours. */
export function isDatabaseInputRejection(error: unknown): boolean {
  return databaseLayers(error).some((layer) => {
    const sqlState = sqlStateOf(layer);
    return (
      (sqlState !== undefined && sqlState.startsWith('22')) ||
      PRISMA_INPUT_CODES.has(stringField(layer, 'code') ?? '') ||
      ADAPTER_INPUT_KINDS.has(stringField(layer, 'kind') ?? '')
    );
  });
}

/**
 * The layers of an error that came from the database: a Prisma error (with the driver adapter
 * error it keeps in `meta`), node-postgres' errors and ours, and their causes. Anything that
 * carries an HTTP status is someone else's error, whatever its code says.
 */
function databaseLayers(error: unknown): object[] {
  const all = layers(error);
  const fromDatabase = all.some(
    (layer) =>
      layer instanceof DatabaseUnavailableError ||
      /^PrismaClient|^DriverAdapterError$|^DatabaseError$/.test(
        (layer as { name?: unknown }).name as string,
      ) ||
      (layer as { constructor?: { name?: string } }).constructor?.name === 'DatabaseError',
  );
  const httpError = all.some(
    (layer) => typeof (layer as { statusCode?: unknown }).statusCode === 'number',
  );
  return fromDatabase || (!httpError && isDriverShaped(all)) ? all : [];
}

/**
 * node-postgres' connection failures are plain errors (a socket error, or one of its own
 * messages); they reach us unwrapped only from a hand-written query on the pool.
 */
function isDriverShaped(all: object[]): boolean {
  return all.some(
    (layer) =>
      isError(layer) &&
      (typeof (layer as { syscall?: unknown }).syscall === 'string' ||
        LOST_DRIVER_MESSAGES.test(layer.message) ||
        BUSY_DRIVER_MESSAGES.test(layer.message)),
  );
}

/** The error, its causes, and the driver adapter error Prisma keeps in `meta`. */
function layers(error: unknown): object[] {
  const found: object[] = [];
  const queue: unknown[] = [error];
  while (queue.length > 0 && found.length < 16) {
    const layer = queue.shift();
    if (typeof layer !== 'object' || layer === null || found.includes(layer)) {
      continue;
    }
    found.push(layer);
    const record = layer as { cause?: unknown; meta?: { driverAdapterError?: unknown } };
    queue.push(record.cause, record.meta?.driverAdapterError);
  }
  return found;
}

function sqlStateOf(layer: object): string | undefined {
  const state = stringField(layer, 'originalCode') ?? stringField(layer, 'code');
  return state !== undefined && /^[0-9A-Z]{5}$/.test(state) ? state : undefined;
}

function stringField(layer: object, name: string): string | undefined {
  const value = (layer as Record<string, unknown>)[name];
  return typeof value === 'string' ? value : undefined;
}

/**
 * An Error of any realm: node's socket errors are not `instanceof` the Error of a VM context
 * (Jest runs the tests in one), and a hand-written query on the pool hands them on unwrapped.
 */
function isError(layer: object): layer is Error {
  return layer instanceof Error || Object.prototype.toString.call(layer) === '[object Error]';
}

/**
 * PostgreSQL's "cached plan must not change result type" (feature_not_supported): a prepared
 * statement outlived a migration that changed the type of a column it returns.
 */
export function isStalePreparedPlan(error: unknown): boolean {
  return (
    error instanceof Error &&
    (error as { code?: unknown }).code === '0A000' &&
    /cached plan/i.test(error.message)
  );
}
