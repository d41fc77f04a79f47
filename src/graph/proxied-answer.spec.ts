import { renderProxiedAnswer, toProxiedAnswer } from './proxied-answer.js';

const ACCOUNT = {
  igUserId: '27640875392278831',
  ids: ['27640875392278831', '27640875392278833', '27640875392278835'],
  askedPath: 'me/media',
};

describe('proxied answers', () => {
  it("point Instagram's links back at the vault, naming the account by me", () => {
    const answer = toProxiedAnswer(
      {
        parts: [
          '{"data":[],"paging":{"next":',
          {
            path: '27640875392278835/media',
            query: [
              ['after', 'QVFI'],
              ['fields', 'id,caption'],
            ],
          },
          ',"previous":',
          { path: '17895695668004551/children', query: [] },
          '}}',
        ],
      },
      ACCOUNT,
    );

    expect(renderProxiedAnswer(answer, 'https://vault.test')).toBe(
      '{"data":[],"paging":{"next":"https://vault.test/graph/27640875392278831/me/media?after=QVFI&fields=id%2Ccaption",' +
        '"previous":"https://vault.test/graph/27640875392278831/17895695668004551/children"}}',
    );
    expect(answer.size).toBeGreaterThan(0);
  });

  it('sends an id it does not know back through me when it stands where the asked me stood', () => {
    const answer = toProxiedAnswer(
      { parts: [{ path: '99999999999999999/media', query: [] }] },
      { ...ACCOUNT, ids: [ACCOUNT.igUserId, null, null] },
    );
    expect(renderProxiedAnswer(answer, '')).toBe('"/graph/27640875392278831/me/media"');
  });

  it("keeps another node's id where the asked path was not the account's", () => {
    const answer = toProxiedAnswer(
      { parts: [{ path: '99999999999999999/media', query: [] }] },
      { ...ACCOUNT, askedPath: '17895695668004551' },
    );
    expect(renderProxiedAnswer(answer, '')).toBe(
      '"/graph/27640875392278831/99999999999999999/media"',
    );
  });
});
