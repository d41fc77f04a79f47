import { createVaultClient, type VaultClient } from '../clients/typescript/src/index.js';
import { consent } from './support/oauth.js';
import {
  API_KEY,
  listenOnLoopback,
  REDIRECT_URI,
  startTestApp,
  type TestApp,
} from './support/test-app.js';

describe('the typed client', () => {
  describe('driving the running service', () => {
    let test: TestApp;
    let vault: VaultClient;

    beforeAll(async () => {
      test = await startTestApp();
      vault = createVaultClient({ baseUrl: await listenOnLoopback(test), apiKey: API_KEY.all });
    });

    afterAll(async () => {
      await test.close();
    });

    it('creates an authorization URL, exchanges a code, reads the connection and the user', async () => {
      const account = test.emulator.createAccount({ followersCount: 321 });
      const flow = await vault.POST('/auth/instagram/authorization-urls', {
        body: { ownerId: 'typed-client' },
      });
      expect(flow.response.status).toBe(201);
      const url = flow.data?.url as string;
      const redirect = await consent(url, { username: account.username });
      const code = `${redirect.searchParams.get('code')}#_`;

      const exchanged = await vault.POST('/auth/instagram/token', {
        body: { code, redirectUri: REDIRECT_URI, ownerId: 'typed-client' },
      });
      expect(exchanged.response.status).toBe(201);
      const igUserId = exchanged.data?.igUserId as string;
      expect(igUserId).toBe(account.userId);

      const connection = await vault.GET('/tokens/{igUserId}', { params: { path: { igUserId } } });
      expect(connection.data).toMatchObject({
        igUserId,
        ownerId: 'typed-client',
        status: 'active',
      });

      const user = await vault.GET('/users/{igUserId}', { params: { path: { igUserId } } });
      expect(user.data).toMatchObject({
        igUserId,
        username: account.username,
        followersCount: 321,
      });

      const missing = await vault.GET('/tokens/{igUserId}', {
        params: { path: { igUserId: '1' } },
      });
      expect(missing.response.status).toBe(404);
      expect(missing.error).toMatchObject({ code: 'connection_not_found' });
    });

    it("reads a person's posts page by page and through the Graph proxy, holding no token", async () => {
      const account = test.emulator.createAccount();
      const flow = await vault.POST('/auth/instagram/authorization-urls', { body: {} });
      const redirect = await consent(flow.data?.url as string, { username: account.username });
      const exchanged = await vault.POST('/auth/instagram/token', {
        body: { code: redirect.searchParams.get('code') as string, redirectUri: REDIRECT_URI },
      });
      const igUserId = exchanged.data?.igUserId as string;

      const ids: string[] = [];
      let cursor: string | undefined;
      do {
        const page = await vault.GET('/users/{igUserId}/media', {
          params: { path: { igUserId }, query: { limit: 2, cursor } },
        });
        expect(page.response.status).toBe(200);
        ids.push(...(page.data?.items ?? []).map((post) => post.id));
        cursor = page.data?.nextCursor ?? undefined;
      } while (cursor !== undefined);
      expect(ids).toEqual(test.emulator.postsOf(igUserId).map((post) => post.id));

      const carousel = await vault.GET('/users/{igUserId}/media/{mediaId}', {
        params: { path: { igUserId, mediaId: ids[0] } },
      });
      expect(carousel.data?.children?.length).toBeGreaterThan(1);

      const proxied = await vault.GET('/graph/{igUserId}/{path}', {
        params: {
          path: { igUserId, path: 'me/media' },
          query: { fields: 'id,caption', limit: '2' },
        },
        parseAs: 'text',
      });
      expect(proxied.response.status).toBe(200);
      const text = proxied.data as unknown as string;
      expect([...text.matchAll(/"id":"?(\d+)"?/g)].map((match) => match[1])).toEqual(
        ids.slice(0, 2),
      );
      expect(text).not.toMatch(/access_token|IGAA/);
    });
  });
});
