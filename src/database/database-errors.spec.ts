import {
  DatabaseUnavailableError,
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
    ['a socket error', Object.assign(new Error('connect'), { code: 'ECONNREFUSED' })],
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
