import { randomBytes } from 'node:crypto';
import { Transactions } from '../src/database/transactions.js';
import { ConnectionStatus, TokenKind } from '../src/tokens/connection.record.js';
import { ConnectionReadsRepository } from '../src/tokens/connection-reads.repository.js';
import { ConnectionsRepository } from '../src/tokens/connections.repository.js';
import { RefreshPolicy } from '../src/tokens/refresh-policy.js';
import { TokenSealer } from '../src/tokens/token-sealer.js';
import { storeConnection } from './support/connections.js';
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

  it('find nothing for an id never stored', async () => {
    const reads = test.app.get(ConnectionReadsRepository);
    expect(await reads.find('17841999999999999999')).toBeNull();
    expect(await reads.findWithToken('17841999999999999999')).toBeNull();
  });
});
