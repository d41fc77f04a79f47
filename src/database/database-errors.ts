/**
 * What a failed query means, read from whatever layer threw it: node-postgres (socket errors,
 * its own timeouts, SQLSTATEs), Prisma's driver adapter (kinds) or Prisma itself (P-codes).
 */

/** Thrown without a query when the database is known to be down (see DatabaseGate). */
export class DatabaseUnavailableError extends Error {
  constructor(message = 'the database is unreachable') {
    super(message);
    this.name = 'DatabaseUnavailableError';
  }
}

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
const ADAPTER_KINDS = new Set([
  'DatabaseNotReachable',
  'ConnectionClosed',
  'SocketTimeout',
  'TooManyConnections',
]);
/** Can't reach, timed out, closed, pool timeout, too many connections, transaction not started. */
const PRISMA_CODES = new Set(['P1001', 'P1002', 'P1008', 'P1017', 'P2024', 'P2028', 'P2037']);
/** node-postgres' own failures carry no code, only these messages. */
const DRIVER_MESSAGES =
  /timeout exceeded when trying to connect|Connection terminated|Query read timeout|connection error|Client was closed|Cannot use a pool after calling end/i;
/** Prisma's input validation codes: a value too long, invalid or out of range. */
const PRISMA_INPUT_CODES = new Set(['P2000', 'P2007', 'P2020']);
const ADAPTER_INPUT_KINDS = new Set(['LengthMismatch', 'ValueOutOfRange', 'InvalidInputValue']);

/** The database could not be reached or did not answer in time: worth retrying later. */
export function isDatabaseUnavailable(error: unknown): boolean {
  return layers(error).some((layer) => {
    if (layer instanceof DatabaseUnavailableError) {
      return true;
    }
    const code = stringField(layer, 'code');
    const sqlState = sqlStateOf(layer);
    return (
      (code !== undefined && (SOCKET_CODES.has(code) || PRISMA_CODES.has(code))) ||
      ADAPTER_KINDS.has(stringField(layer, 'kind') ?? '') ||
      (sqlState !== undefined && unavailableSqlState(sqlState)) ||
      (layer instanceof Error && DRIVER_MESSAGES.test(layer.message) && code === undefined)
    );
  });
}

/** PostgreSQL refused a value (a NUL byte, a string too long): the caller's input, not ours. */
export function isDatabaseInputRejection(error: unknown): boolean {
  return layers(error).some((layer) => {
    const sqlState = sqlStateOf(layer);
    return (
      (sqlState !== undefined && sqlState.startsWith('22')) ||
      PRISMA_INPUT_CODES.has(stringField(layer, 'code') ?? '') ||
      ADAPTER_INPUT_KINDS.has(stringField(layer, 'kind') ?? '')
    );
  });
}

/**
 * 08: connection exception; 53: insufficient resources; 57014: statement timeout;
 * 57P01-57P04: shutdown, crash, starting up, database dropped.
 */
function unavailableSqlState(state: string): boolean {
  return (
    state.startsWith('08') || state.startsWith('53') || state === '57014' || state.startsWith('57P')
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
