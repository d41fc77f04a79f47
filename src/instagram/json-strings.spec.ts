import { jsonStrings } from './json-strings.js';

describe('jsonStrings', () => {
  it('finds each string with its span, its decoded value and whether it names a member', () => {
    const text =
      '{"a\\"b" : "x\\\\y\\u00e9", "n": [12345678901234567890, "", true], "k":{"z":null}}';

    const strings = jsonStrings(text);

    expect(strings.map(({ value, isKey }) => [value, isKey])).toEqual([
      ['a"b', true],
      ['x\\yé', false],
      ['n', true],
      ['', false],
      ['k', true],
      ['z', true],
    ]);
    for (const string of strings) {
      expect(JSON.parse(text.slice(string.start, string.end))).toBe(string.value);
    }
  });
});
