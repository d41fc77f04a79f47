import { randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import { ConnectionsRepository } from '../src/tokens/connections.repository.js';
import { RewrapRepository } from '../src/tokens/rewrap.repository.js';
import { TokenRewrapper } from '../src/tokens/token-rewrapper.js';
import { TokenSealer } from '../src/tokens/token-sealer.js';
import {
  API_KEY,
  bearer,
  connectAccount,
  startTestApp,
  useTestApp,
  type TestApp,
  revealToken,
} from './support/test-app.js';

const HOUR_MS = 60 * 60 * 1000;

interface SealedRow {
  ig_user_id: string;
  token_key_id: string | null;
  token_ciphertext: Buffer | null;
}

async function sealedRow(test: TestApp, igUserId: string): Promise<SealedRow> {
  const [row] = await test.sql<SealedRow>(
    'SELECT ig_user_id, token_key_id, token_ciphertext FROM connections WHERE ig_user_id = $1',
    [igUserId],
  );
  return row;
}

async function sealedRows(test: TestApp): Promise<SealedRow[]> {
  return test.sql<SealedRow>(
    `SELECT ig_user_id, token_key_id, token_ciphertext FROM connections
      WHERE token_ciphertext IS NOT NULL ORDER BY ig_user_id`,
  );
}

/** Ages a token past Instagram's 24 h refresh floor, on our clock and Instagram's. */
async function makeTokenOld(test: TestApp, igUserId: string): Promise<void> {
  await test.sql(
    "UPDATE connections SET token_issued_at = now() - interval '25 hours' WHERE ig_user_id = $1",
    [igUserId],
  );
  test.emulator.advanceClock(25 * HOUR_MS);
}

async function refreshNow(test: TestApp, igUserId: string): Promise<void> {
  await makeTokenOld(test, igUserId);
  await test.http.post(`/tokens/${igUserId}/refresh`).set(bearer(API_KEY.tokensWrite)).expect(200);
}

describe('Key rotation (TOKEN_ENCRYPTION_KEYS=new,old)', () => {
  const test = useTestApp();
  const newKey = randomBytes(32).toString('base64');

  describe('with a replica configured k2,k1 beside the k1 app', () => {
    let rotated: TestApp;

    beforeAll(async () => {
      rotated = await startTestApp(
        { TOKEN_ENCRYPTION_KEYS: `k2:${newKey},k1:${test.encryptionKey}` },
        { peer: test },
      );
    });

    afterAll(async () => {
      await rotated?.close();
    });

    it('reads through the k2,k1 replica the tokens written under k1', async () => {
      const { igUserId } = await connectAccount(test);
      expect((await sealedRow(test, igUserId)).token_key_id).toBe('k1');

      expect(await revealToken(rotated, igUserId)).toBe(await revealToken(test, igUserId));
    });

    it('seals a connection made through the k2,k1 replica under k2', async () => {
      const { igUserId } = await connectAccount(rotated);

      expect((await sealedRow(test, igUserId)).token_key_id).toBe('k2');
      const token = await revealToken(rotated, igUserId);
      expect(test.emulator.inspectToken(token)).toMatchObject({ kind: 'long_lived' });
      // The k1-only app cannot open it: the row really is sealed under the new key.
      const response = await test.http
        .get(`/tokens/${igUserId}/access-token`)
        .set(bearer(API_KEY.tokensReveal));
      expect({ status: response.status, code: response.body?.code }).toEqual({
        status: 500,
        code: 'encryption_key_missing',
      });
    });

    it('stores a k1 token refreshed through the k2,k1 replica under k2', async () => {
      const { igUserId } = await connectAccount(test);
      const before = await revealToken(test, igUserId);

      await refreshNow(rotated, igUserId);

      expect((await sealedRow(test, igUserId)).token_key_id).toBe('k2');
      const after = await revealToken(rotated, igUserId);
      expect(after).not.toBe(before);
      expect(test.emulator.inspectToken(after)?.kind).toBe('long_lived');
    });

    it('rewraps every k1 token under k2 without changing any token, and a second run rewraps none', async () => {
      await connectAccount(test);
      await connectAccount(test);
      await connectAccount(test);
      const before = await sealedRows(test);
      const underK1 = before.filter((row) => row.token_key_id === 'k1');
      expect(underK1.length).toBeGreaterThanOrEqual(3);
      const tokens = new Map<string, string>();
      for (const row of before) {
        tokens.set(row.ig_user_id, await revealToken(rotated, row.ig_user_id));
      }

      const report = await rotated.app.get(TokenRewrapper).rewrapAll();

      expect(report).toEqual({
        keyId: 'k2',
        rewrapped: underK1.length,
        skipped: 0,
        missingKey: [],
        remaining: 0,
      });
      const after = await sealedRows(test);
      expect(after.map((row) => row.ig_user_id)).toEqual(before.map((row) => row.ig_user_id));
      expect(after.every((row) => row.token_key_id === 'k2')).toBe(true);
      for (const row of underK1) {
        const rewrapped = after.find((candidate) => candidate.ig_user_id === row.ig_user_id);
        expect(
          Buffer.compare(rewrapped?.token_ciphertext as Buffer, row.token_ciphertext as Buffer),
        ).not.toBe(0);
      }
      for (const [igUserId, token] of tokens) {
        expect(await revealToken(rotated, igUserId)).toBe(token);
      }

      const again = await rotated.app.get(TokenRewrapper).rewrapAll();
      expect(again).toEqual({
        keyId: 'k2',
        rewrapped: 0,
        skipped: 0,
        missingKey: [],
        remaining: 0,
      });
      expect(await sealedRows(test)).toEqual(after);

      // The old key can go: a replica with k2 alone reads every token.
      const k2Only = await startTestApp({ TOKEN_ENCRYPTION_KEYS: `k2:${newKey}` }, { peer: test });
      try {
        for (const [igUserId, token] of tokens) {
          expect(await revealToken(k2Only, igUserId)).toBe(token);
        }
      } finally {
        await k2Only.close();
      }
    });

    it('reports a token sealed under a key no longer configured, leaves it as it is, and refuses to reveal it', async () => {
      const { igUserId } = await connectAccount(test);
      const token = await revealToken(test, igUserId);
      await test.sql("UPDATE connections SET token_key_id = 'gone' WHERE ig_user_id = $1", [
        igUserId,
      ]);
      const before = await sealedRow(test, igUserId);

      const report = await rotated.app.get(TokenRewrapper).rewrapAll();

      expect(report.missingKey).toEqual([{ igUserId, keyId: 'gone' }]);
      expect(report.keyId).toBe('k2');
      expect(await sealedRow(test, igUserId)).toEqual(before);

      const response = await rotated.http
        .get(`/tokens/${igUserId}/access-token`)
        .set(bearer(API_KEY.tokensReveal));
      expect({ status: response.status, code: response.body?.code }).toEqual({
        status: 500,
        code: 'encryption_key_missing',
      });
      expect(response.headers['content-type']).toMatch(/^application\/problem\+json/);
      expect(response.body.accessToken).toBeUndefined();
      expect(response.text).not.toContain(token);
      expect(response.text).not.toMatch(/IGAA/);
      expect(await sealedRow(test, igUserId)).toEqual(before);

      // Put back, it is readable again: nothing was lost.
      await test.sql("UPDATE connections SET token_key_id = 'k1' WHERE ig_user_id = $1", [
        igUserId,
      ]);
      expect(await revealToken(rotated, igUserId)).toBe(token);
    });

    it('does not overwrite a token refreshed between the read and the write of a rewrap', async () => {
      const { igUserId } = await connectAccount(test);
      const repository = rotated.app.get(RewrapRepository);
      const stale = await rotated.app.get(ConnectionsRepository).findWithToken(igUserId);
      if (stale === null) {
        throw new Error(`connection ${igUserId} not found`);
      }
      expect(stale.tokenKeyId).toBe('k1');

      // Refreshed through the k1 app: the key id stays k1, only the ciphertext changes.
      await refreshNow(test, igUserId);
      const refreshed = await sealedRow(test, igUserId);
      expect(refreshed.token_key_id).toBe('k1');
      const newToken = await revealToken(test, igUserId);

      const replaced = await repository.replaceCiphertext(
        stale,
        rotated.app.get(TokenSealer).reseal(stale),
      );

      expect(replaced).toBe(false);
      expect(await sealedRow(test, igUserId)).toEqual(refreshed);
      expect(await revealToken(rotated, igUserId)).toBe(newToken);
    });

    it('skips, through rewrapAll, a row refreshed after its batch was read, and rewraps it in the next pass', async () => {
      const { igUserId } = await connectAccount(test);
      const repository = rotated.app.get(RewrapRepository);
      const read = repository.findSealedUnderOtherKeys.bind(repository);
      const interleave = jest
        .spyOn(repository, 'findSealedUnderOtherKeys')
        .mockImplementationOnce(async (...args) => {
          const batch = await read(...args);
          // The service writes while the rewrap holds the batch it read.
          await refreshNow(test, igUserId);
          return batch;
        });
      try {
        const report = await rotated.app.get(TokenRewrapper).rewrapAll();

        expect(report.skipped).toBe(1);
        expect(report.missingKey).toEqual([]);
        expect(report.remaining).toBe(0);
      } finally {
        interleave.mockRestore();
      }
      // The row changed under the first pass was rewrapped by the next, keeping the new token.
      expect((await sealedRow(test, igUserId)).token_key_id).toBe('k2');
      const newToken = await revealToken(rotated, igUserId);
      expect(test.emulator.inspectToken(newToken)?.kind).toBe('long_lived');
      const connection = await rotated.http
        .get(`/tokens/${igUserId}`)
        .set(bearer(API_KEY.tokensRead))
        .expect(200);
      expect(connection.body.lastRefreshedAt).not.toBeNull();

      const next = await rotated.app.get(TokenRewrapper).rewrapAll();
      expect(next).toEqual({ keyId: 'k2', rewrapped: 0, skipped: 0, missingKey: [], remaining: 0 });
    });
  });
});
