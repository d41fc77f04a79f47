import type { ConnectionDto } from '../../src/tokens/dto/connection.dto.js';
import { API_KEY, bearer, type TestApp } from './test-app.js';

/** The decrypted token, through the API (the reveal is audited like any other). */
export async function revealToken(test: TestApp, igUserId: string): Promise<string> {
  const response = await test.http
    .get(`/tokens/${igUserId}/access-token`)
    .set(bearer(API_KEY.tokensReveal))
    .expect(200);
  return response.body.accessToken as string;
}

/** The connection as GET /tokens/:igUserId answers it. */
export async function getConnection(test: TestApp, igUserId: string): Promise<ConnectionDto> {
  const response = await test.http
    .get(`/tokens/${igUserId}`)
    .set(bearer(API_KEY.tokensRead))
    .expect(200);
  return response.body as ConnectionDto;
}
