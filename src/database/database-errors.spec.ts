import { runInNewContext } from 'node:vm';
import {
  DatabaseUnavailableError,
  isDatabaseConnectionLost,
  isDatabaseInputRejection,
  isDatabaseUnavailable,
} from './database-errors.js';

/** Shapes as Prisma 7 with @prisma/adapter-pg and node-postgres really throw them. */
const prismaError = (code: string, cause: Record<string, unknown>) =>
  Object.assign(new Error('Invalid `prisma.connection.findUnique()` invocation'), {
    code,
    meta: { driverAdapterError: { name: 'DriverAdapterError', cause } },
  });

describe('isDatabaseUnavailable', () => {
  it.each([
    ['a refused connection (P1001)', prismaError('P1001', { kind: 'DatabaseNotReachable' })],
    [
      'a statement timeout in a raw query',
      prismaError('P2010', { kind: 'postgres', code: '57014', originalCode: '57014' }),
    ],
    [
      'a server shutting down (57P01)',
      prismaError('P2010', { kind: 'postgres', code: '57P01', originalCode: '57P01' }),
    ],
    ['a connection reset', prismaError('P2010', { kind: 'ConnectionClosed' })],
    ["node-postgres' read timeout", new Error('Query read timeout')],
    ["node-postgres' pool timeout", new Error('timeout exceeded when trying to connect')],
    ['a terminated connection', new Error('Connection terminated unexpectedly')],
    [
      'a refused connection from node-postgres',
      Object.assign(new Error('connect ECONNREFUSED 127.0.0.1:5432'), {
        code: 'ECONNREFUSED',
        errno: -111,
        syscall: 'connect',
        address: '127.0.0.1',
        port: 5432,
      }),
    ],
    [
      'a refused connection made in another realm (as node hands it to a VM context)',
      Object.assign(runInNewContext("new Error('connect ECONNREFUSED 127.0.0.1:5432')") as object, {
        code: 'ECONNREFUSED',
        syscall: 'connect',
      }),
    ],
    [
      'a terminated connection made in another realm',
      runInNewContext("new Error('Connection terminated unexpectedly')") as object,
    ],
    ['the shut pool', new DatabaseUnavailableError()],
    ['a wrapped cause', new Error('outer', { cause: new DatabaseUnavailableError() })],
  ])('recognises %s', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(isDatabaseInputRejection(error)).toBe(false);
  });

  it.each([
    ['a missing table', prismaError('P2021', { kind: 'TableDoesNotExist' })],
    ['a unique violation', prismaError('P2002', { kind: 'UniqueConstraintViolation' })],
    ['a plain bug', new TypeError("Cannot read properties of undefined (reading 'x')")],
    ['not an error at all', 'Connection terminated'],
  ])('does not take %s for an outage', (_name, error) => {
    expect(isDatabaseUnavailable(error)).toBe(false);
  });
});

describe('isDatabaseConnectionLost', () => {
  it.each([
    ['a refused connection (P1001)', prismaError('P1001', { kind: 'DatabaseNotReachable' })],
    ['a server shutting down', prismaError('P2010', { kind: 'postgres', originalCode: '57P01' })],
    ['a connection timeout', new Error('Connection terminated due to connection timeout')],
  ])('shuts the pool for %s', (_name, error) => {
    expect(isDatabaseConnectionLost(error)).toBe(true);
  });

  it.each([
    ['a statement timeout', prismaError('P2010', { kind: 'postgres', originalCode: '57014' })],
    ['a wait for a free connection', new Error('timeout exceeded when trying to connect')],
    ['a query the server went silent on', new Error('Query read timeout')],
    ['no transaction slot in time (P2028)', prismaError('P2028', {})],
  ])('answers 503 without shutting the pool for %s: the database is up but busy', (_n, error) => {
    expect(isDatabaseUnavailable(error)).toBe(true);
    expect(isDatabaseConnectionLost(error)).toBe(false);
  });

  it("takes a client's dropped connection for the client's fault, not the database's", () => {
    // What Fastify raises when a client aborts while sending its body.
    const aborted = Object.assign(new Error('aborted'), { code: 'ECONNRESET', statusCode: 400 });
    expect(isDatabaseUnavailable(aborted)).toBe(false);
    expect(isDatabaseConnectionLost(aborted)).toBe(false);
  });
});

describe('isDatabaseInputRejection', () => {
  it('recognises a NUL byte PostgreSQL refused (22021)', () => {
    const error = prismaError('P2039', {
      kind: 'postgres',
      code: '22021',
      originalCode: '22021',
      originalMessage: 'invalid byte sequence for encoding "UTF8": 0x00',
    });
    expect(isDatabaseInputRejection(error)).toBe(true);
    expect(isDatabaseUnavailable(error)).toBe(false);
  });

  it('recognises a value too long for its column', () => {
    expect(isDatabaseInputRejection(prismaError('P2000', { kind: 'LengthMismatch' }))).toBe(true);
  });
});
