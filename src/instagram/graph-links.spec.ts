import { cutAtGraphLinks } from './graph-links.js';
import type { GraphAnswer, GraphLink } from './instagram.wire.js';

const GRAPH = new URL('https://graph.instagram.com');
const TOKEN = 'IGAAkp9sLq0X3t_secret-token';
const BIG_ID = '17895695668004551';

function cut(text: string, graph = GRAPH): GraphAnswer {
  const answer = cutAtGraphLinks(text, graph, TOKEN);
  if (typeof answer === 'string') {
    throw new Error(answer);
  }
  return answer;
}

/** The answer with each link written back as a marker: what the rest must be byte for byte. */
function withMarkers(answer: GraphAnswer): string {
  return answer.parts
    .map((part) =>
      typeof part === 'string'
        ? part
        : `<${part.path}?${new URLSearchParams(part.query).toString()}>`,
    )
    .join('');
}

describe('cutAtGraphLinks', () => {
  it("cuts out paging links (escaped slashes too) and keeps every other byte, a big id's digits included", () => {
    const text =
      `{ "data" : [ {"id":${BIG_ID},"caption":"caf\\u00e9 \\/ \\"quoted\\"","media_url":"https:\\/\\/scontent.cdninstagram.com\\/v\\/x.jpg"} ],\n` +
      `  "paging": {"cursors":{"after":"QVFIUn"},` +
      `"next":"https:\\/\\/graph.instagram.com\\/v23.0\\/17841400000000001\\/media?access_token=${TOKEN}&fields=id%2Ccaption&limit=25&after=QVFIUn",` +
      `"previous":"https://graph.instagram.com/17841400000000001/media?before=QVFIUm&appsecret_proof=abc&access_token=${TOKEN}"}}`;

    const answer = cut(text);

    expect(withMarkers(answer)).toBe(
      `{ "data" : [ {"id":${BIG_ID},"caption":"caf\\u00e9 \\/ \\"quoted\\"","media_url":"https:\\/\\/scontent.cdninstagram.com\\/v\\/x.jpg"} ],\n` +
        `  "paging": {"cursors":{"after":"QVFIUn"},` +
        `"next":<17841400000000001/media?fields=id%2Ccaption&limit=25&after=QVFIUn>,` +
        `"previous":<17841400000000001/media?before=QVFIUm>}}`,
    );
    const links = answer.parts.filter((part): part is GraphLink => typeof part !== 'string');
    expect(links).toEqual([
      {
        path: '17841400000000001/media',
        query: [
          ['fields', 'id,caption'],
          ['limit', '25'],
          ['after', 'QVFIUn'],
        ],
      },
      { path: '17841400000000001/media', query: [['before', 'QVFIUm']] },
    ]);
    expect(JSON.stringify(answer)).not.toContain(TOKEN);
  });

  it('finds links at any depth (a field expansion has its own paging)', () => {
    const text = `{"id":"1","media":{"data":[],"paging":{"next":"https://graph.instagram.com/v23.0/1/media?access_token=${TOKEN}&after=X"}}}`;
    expect(withMarkers(cut(text))).toBe(
      '{"id":"1","media":{"data":[],"paging":{"next":<1/media?after=X>}}}',
    );
  });

  it('leaves URLs on other hosts alone, and recognises the Graph under a configured path', () => {
    const graph = new URL('http://127.0.0.1:4100/graph');
    const text = `{"a":"https://graph.instagram.com.evil.test/x?access_token=nope","b":"http://127.0.0.1:4100/graph/v1.0/me?after=Y"}`;
    expect(withMarkers(cut(text, graph))).toBe(
      '{"a":"https://graph.instagram.com.evil.test/x?access_token=nope","b":<me?after=Y>}',
    );
  });

  it.each([
    ['in a caption', `{"caption":"my token is ${TOKEN}"}`],
    ['escaped in a value', `{"caption":"${TOKEN.replace('I', '\\u0049')}"}`],
    [
      "percent-encoded in another host's URL",
      `{"u":"https://x.test/?t=${encodeURIComponent(TOKEN)}"}`,
    ],
    ['in a key', `{"${TOKEN}":1}`],
    [
      'in another parameter of a Graph link',
      `{"next":"https://graph.instagram.com/me?input_token=${TOKEN}"}`,
    ],
    ['in the path of a Graph link', `{"next":"https://graph.instagram.com/${TOKEN}/media"}`],
    [
      'as a member named access_token (a page token, say)',
      '{"data":[{"access_token":"EAAB-other"}]}',
    ],
    ['as a member named like a credential in another case', '{"AppSecret_Proof":"x"}'],
  ])('refuses an answer holding the token %s', (_where, text) => {
    expect(cutAtGraphLinks(text, GRAPH, TOKEN)).toBe('holds_token');
  });

  it.each(['<html>', '[1,2]', '"text"', '', '{"a":1'])(
    'refuses %j as not a JSON object',
    (text) => {
      expect(cutAtGraphLinks(text, GRAPH, TOKEN)).toBe('not_an_object');
    },
  );
});
