import { isObject, parseInstagramJson, readId, readPermissions } from './instagram-json.js';

const BIG_ODD_ID = '27640875392278831';

function field(text: string, name: string): unknown {
  const parsed = parseInstagramJson(text);
  if (!isObject(parsed)) {
    throw new Error(`not an object: ${text}`);
  }
  return parsed[name];
}

describe('parseInstagramJson', () => {
  it('keeps an id above 2^53 sent as a JSON number exactly', () => {
    const body = `{ "access_token": "IGAA", "user_id": ${BIG_ODD_ID} }`;

    expect(field(body, 'user_id')).toBe(BIG_ODD_ID);
  });

  it('exists because JSON.parse changes the last digit of such an id', () => {
    const body = `{ "user_id": ${BIG_ODD_ID} }`;

    expect(String((JSON.parse(body) as { user_id: number }).user_id)).toBe('27640875392278830');
  });

  it('keeps strings, booleans, arrays and nested objects as JSON.parse would', () => {
    const parsed = parseInstagramJson(
      '{ "data": [ { "access_token": "IGQV", "user_id": "17841405793187219" } ], "ok": true }',
    );

    expect(parsed).toEqual({
      data: [{ access_token: 'IGQV', user_id: '17841405793187219' }],
      ok: true,
    });
  });

  it('throws on a body that is not JSON', () => {
    expect(() => parseInstagramJson('<html>Service Unavailable</html>')).toThrow();
  });
});

describe('readId', () => {
  it('reads an id sent as a JSON number as its exact digits', () => {
    expect(readId(field(`{ "user_id": ${BIG_ODD_ID} }`, 'user_id'))).toBe(BIG_ODD_ID);
  });

  it('reads an id sent as a string', () => {
    expect(readId(field(`{ "user_id": "${BIG_ODD_ID}" }`, 'user_id'))).toBe(BIG_ODD_ID);
  });

  it('reads an id of 32 digits, the longest a path accepts', () => {
    expect(readId(field(`{ "user_id": ${'9'.repeat(32)} }`, 'user_id'))).toBe('9'.repeat(32));
  });

  it.each([['abc'], [''], ['12a'], ['-5'], [undefined], [null], [{}], ['1'.repeat(33)]])(
    'refuses %p as an id',
    (value) => {
      expect(readId(value)).toBeUndefined();
    },
  );
});

describe('readPermissions', () => {
  it('splits a comma-separated string', () => {
    expect(readPermissions('instagram_business_basic,instagram_business_manage_messages')).toEqual([
      'instagram_business_basic',
      'instagram_business_manage_messages',
    ]);
  });

  it('reads an array of scope names', () => {
    const scopes = ['instagram_business_basic', 'instagram_business_manage_messages'];

    expect(readPermissions(scopes)).toEqual(scopes);
  });

  it('drops blanks and non-strings', () => {
    expect(readPermissions(' a , ,b ')).toEqual(['a', 'b']);
    expect(readPermissions(['a', '', 3, 'b'])).toEqual(['a', 'b']);
  });

  it('answers undefined when Instagram sent no permissions', () => {
    expect(readPermissions(undefined)).toBeUndefined();
  });
});
