import { randomBytes } from 'node:crypto';
import { jest } from '@jest/globals';
import { ConnectionsRepository } from '../src/tokens/connections.repository.js';
import { RewrapRepository } from '../src/tokens/rewrap.repository.js';
import { TokenRewrapper } from '../src/tokens/token-rewrapper.js';
import { TokenSealer } from '../src/tokens/token-sealer.js';
import { expectProblem } from './support/assertions.js';
import { ageToken, sealedToken, sealedTokens, setTokenKeyId } from './support/connections.js';
import { connectAccount } from './support/oauth.js';
import { API_KEY, bearer, startTestApp, type TestApp, useTestApp } from './support/test-app.js';
import { revealToken } from './support/vault-api.js';

async function refreshNow(test: TestApp, igUserId: string): Promise<void> {
  await ageToken(test, igUserId);
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
      expect((await sealedToken(test, igUserId)).token_key_id).toBe('k1');

      expect(await revealToken(rotated, igUserId)).toBe(await revealToken(test, igUserId));
    });

    it('seals a connection made through the k2,k1 replica under k2', async () => {
      const { igUserId } = await connectAccount(rotated);

      expect((await sealedToken(test, igUserId)).token_key_id).toBe('k2');
      const token = await revealToken(rotated, igUserId);
      expect(test.emulator.inspectToken(token)).toMatchObject({ kind: 'long_lived' });
      // The k1-only app cannot open it: the row really is sealed under the new key.
      const response = await test.http
        .get(`/tokens/${igUserId}/access-token`)
        .set(bearer(API_KEY.tokensReveal));
      expectProblem(response, 500, 'encryption_key_missing');
    });

    it('stores a k1 token refreshed through the k2,k1 replica under k2', async () => {
      const { igUserId } = await connectAccount(test);
      const before = await revealToken(test, igUserId);

      await refreshNow(rotated, igUserId);

      expect((await sealedToken(test, igUserId)).token_key_id).toBe('k2');
      const after = await revealToken(rotated, igUserId);
      expect(after).not.toBe(before);
      expect(test.emulator.inspectToken(after)?.kind).toBe('long_lived');
    });

    it('rewraps every k1 token under k2 without changing any token, and a second run rewraps none', async () => {
      await connectAccount(test);
      await connectAccount(test);
      await connectAccount(test);
      const before = await sealedTokens(test);
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
      const after = await sealedTokens(test);
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
      expect(await sealedTokens(test)).toEqual(after);

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
      await setTokenKeyId(test, igUserId, 'gone');
      const before = await sealedToken(test, igUserId);

      const report = await rotated.app.get(TokenRewrapper).rewrapAll();

      expect(report.missingKey).toEqual([{ igUserId, keyId: 'gone' }]);
      expect(report.keyId).toBe('k2');
      expect(await sealedToken(test, igUserId)).toEqual(before);

      const response = await rotated.http
        .get(`/tokens/${igUserId}/access-token`)
        .set(bearer(API_KEY.tokensReveal));
      expectProblem(response, 500, 'encryption_key_missing');
      expect(response.body.accessToken).toBeUndefined();
      expect(response.text).not.toContain(token);
      expect(response.text).not.toMatch(/IGAA/);
      expect(await sealedToken(test, igUserId)).toEqual(before);

      // Put back, it is readable again: nothing was lost.
      await setTokenKeyId(test, igUserId, 'k1');
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
      const refreshed = await sealedToken(test, igUserId);
      expect(refreshed.token_key_id).toBe('k1');
      const newToken = await revealToken(test, igUserId);

      const replaced = await repository.replaceCiphertext(
        stale,
        rotated.app.get(TokenSealer).reseal(stale),
      );

      expect(replaced).toBe(false);
      expect(await sealedToken(test, igUserId)).toEqual(refreshed);
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
      expect((await sealedToken(test, igUserId)).token_key_id).toBe('k2');
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
