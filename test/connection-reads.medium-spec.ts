import { randomBytes } from 'node:crypto';
import { DatabasePool } from '../src/database/database-pool.js';
import { Transactions } from '../src/database/transactions.js';
import { ConnectionStatus, TokenKind } from '../src/tokens/connection.record.js';
import { ConnectionReadsRepository } from '../src/tokens/connection-reads.repository.js';
import { ConnectionsRepository } from '../src/tokens/connections.repository.js';
import { RefreshPolicy } from '../src/tokens/refresh-policy.js';
import { TokenSealer } from '../src/tokens/token-sealer.js';
import { storeConnection } from './support/connections.js';
import { claimDueAs } from './support/refresh.js';
import { useTestApp } from './support/test-app.js';

/**
 * The hot reads are hand-written SQL beside Prisma's typed client: for every shape a connection
 * takes in its life, they must read exactly what Prisma reads.
 */
describe('the hand-written connection reads', () => {
  const test = useTestApp();

  /** The owner and scopes every connection here is consented with. */
  const CONSENT = {
    ownerId: 'owner-1',
    scopes: ['instagram_business_basic', 'instagram_business_manage_messages'],
  };

  async function expectSameReads(igUserId: string): Promise<void> {
    const prisma = test.app.get(ConnectionsRepository);
    const reads = test.app.get(ConnectionReadsRepository);
    const [expected, actual] = await Promise.all([prisma.find(igUserId), reads.find(igUserId)]);
    expect(actual).toEqual(expected);
    const [withToken, readWithToken] = await Promise.all([
      prisma.findWithToken(igUserId),
      reads.findWithToken(igUserId),
    ]);
    const { tokenCiphertext, ...rest } = withToken ?? { tokenCiphertext: null };
    const { tokenCiphertext: readCiphertext, ...readRest } = readWithToken ?? {
      tokenCiphertext: null,
    };
    expect(readRest).toEqual(rest);
    expect(readCiphertext === null ? null : Buffer.from(readCiphertext)).toEqual(
      tokenCiphertext === null ? null : Buffer.from(tokenCiphertext),
    );
  }

  it('read a fresh consent, short- or long-lived, as Prisma does', async () => {
    await expectSameReads(await storeConnection(test, TokenKind.short_lived, CONSENT));
    await expectSameReads(await storeConnection(test, TokenKind.long_lived, CONSENT));
  });

  it('read learned ids, a recorded failure and a revoked connection without token as Prisma does', async () => {
    const connections = test.app.get(ConnectionsRepository);
    const learned = await storeConnection(test, TokenKind.long_lived, CONSENT);
    await connections.updateProfile(learned, {
      username: 'someone',
      appScopedId: '27640875392278833',
      professionalId: '27640875392278835',
    });
    await expectSameReads(learned);

    const rejected = await storeConnection(test, TokenKind.long_lived, CONSENT);
    const stored = await connections.find(rejected);
    await connections.markUnusable(
      rejected,
      stored?.tokenIssuedAt ?? null,
      ConnectionStatus.invalid,
      'token_invalid (code 190): Error validating access token',
    );
    await expectSameReads(rejected);

    const revoked = await storeConnection(test, TokenKind.long_lived, CONSENT);
    await test.app
      .get(Transactions)
      .run((tx) => connections.revokeAccount(revoked, new Date(Date.now() + 1000), tx));
    const after = await test.app.get(ConnectionReadsRepository).findWithToken(revoked);
    expect(after).toMatchObject({
      status: ConnectionStatus.revoked,
      tokenCiphertext: null,
      tokenKeyId: null,
    });
    await expectSameReads(revoked);
  });

  it('answer a batched token swap with the connections a read then finds', async () => {
    const connections = test.app.get(ConnectionsRepository);
    const ids = [
      await storeConnection(test, TokenKind.short_lived, CONSENT),
      await storeConnection(test, TokenKind.long_lived, CONSENT),
    ];
    const swaps = await Promise.all(
      ids.map(async (igUserId) => {
        const before = await connections.find(igUserId);
        const token = test.app
          .get(TokenSealer)
          .seal(
            igUserId,
            `IGAA${randomBytes(24).toString('hex')}`,
            TokenKind.long_lived,
            5_184_000,
          );
        return {
          igUserId,
          expectedIssuedAt: before?.tokenIssuedAt ?? null,
          token: test.app.get(RefreshPolicy).schedule(token),
          refreshed: true,
        };
      }),
    );
    const swapped = await connections.replaceTokens(swaps);
    expect([...swapped.keys()].sort()).toEqual([...ids].sort());
    for (const igUserId of ids) {
      expect(swapped.get(igUserId)).toEqual(await connections.find(igUserId));
      expect(swapped.get(igUserId)?.tokenKind).toBe(TokenKind.long_lived);
    }
  });

  it('answer a claim of due tokens with the connections a read then finds', async () => {
    const ids = [
      await storeConnection(test, TokenKind.short_lived, CONSENT),
      await storeConnection(test, TokenKind.long_lived, CONSENT),
    ];
    await test.sql(
      "UPDATE connections SET next_refresh_at = now() - interval '1 minute' WHERE ig_user_id = ANY($1)",
      [ids],
    );
    const claimed = await claimDueAs(test, 'replica-under-test', 60_000, 10);
    expect(claimed.map((connection) => connection.igUserId).sort()).toEqual([...ids].sort());
    const reads = test.app.get(ConnectionReadsRepository);
    for (const connection of claimed) {
      const read = await reads.findWithToken(connection.igUserId);
      const { tokenCiphertext, ...rest } = connection;
      const { tokenCiphertext: readCiphertext, ...readRest } = read ?? { tokenCiphertext: null };
      expect(rest).toEqual(readRest);
      expect(tokenCiphertext && Buffer.from(tokenCiphertext)).toEqual(
        readCiphertext && Buffer.from(readCiphertext),
      );
      expect(test.app.get(TokenSealer).openStored(connection)).toMatch(/^IGAA/);
    }
    const leased = await test.sql<{ lease_owner: string }>(
      'SELECT lease_owner FROM connections WHERE ig_user_id = ANY($1)',
      [ids],
    );
    expect(leased.map((row) => row.lease_owner)).toEqual([
      'replica-under-test',
      'replica-under-test',
    ]);
  });

  it('find nothing for an id never stored', async () => {
    const reads = test.app.get(ConnectionReadsRepository);
    expect(await reads.find('17841999999999999999')).toBeNull();
    expect(await reads.findWithToken('17841999999999999999')).toBeNull();
  });

  /** Every connection the pool holds, taken at once; answers what each has prepared. */
  async function preparedOnEveryConnection(): Promise<string[][]> {
    const pool = test.app.get(DatabasePool).pool;
    const clients = await Promise.all(
      Array.from({ length: pool.totalCount }, () => pool.connect()),
    );
    try {
      return await Promise.all(
        clients.map(async (client) =>
          (
            await client.query<{ name: string }>('SELECT name FROM pg_prepared_statements')
          ).rows.map((row) => row.name),
        ),
      );
    } finally {
      for (const client of clients) {
        client.release();
      }
    }
  }

  it('prepare each read on the connection that runs it', async () => {
    const igUserId = await storeConnection(test, TokenKind.long_lived, CONSENT);
    const reads = test.app.get(ConnectionReadsRepository);
    await reads.find(igUserId);
    await reads.findWithToken(igUserId);
    const prepared = (await preparedOnEveryConnection()).flat();
    expect(prepared).toEqual(
      expect.arrayContaining(['vault_find_connection', 'vault_find_connection_with_token']),
    );
  });

  it('keep answering when a migration changes a column under prepared reads', async () => {
    const igUserId = await storeConnection(test, TokenKind.long_lived, CONSENT);
    const reads = test.app.get(ConnectionReadsRepository);
    // Many reads at once, so that most of the pool's connections hold the prepared plans.
    await Promise.all(
      Array.from({ length: 16 }, (_, i) =>
        i % 2 === 0 ? reads.find(igUserId) : reads.findWithToken(igUserId),
      ),
    );
    const stale = (await preparedOnEveryConnection()).filter((names) =>
      names.includes('vault_find_connection'),
    );
    expect(stale.length).toBeGreaterThan(1);
    await test.sql('ALTER TABLE connections ALTER COLUMN username TYPE varchar(64)');
    for (let i = 0; i < 2 * stale.length; i += 1) {
      await expectSameReads(igUserId);
    }
  });
});
