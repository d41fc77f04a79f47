import { cleanAuthorizationCode } from './authorization-code.js';

describe('cleanAuthorizationCode', () => {
  it("strips Instagram's trailing #_", () => {
    expect(cleanAuthorizationCode('AQBx7Kq2-abc_DEF#_')).toBe('AQBx7Kq2-abc_DEF');
  });

  it('strips surrounding whitespace along with the #_', () => {
    expect(cleanAuthorizationCode('  AQBx7Kq2-abc_DEF#_\n')).toBe('AQBx7Kq2-abc_DEF');
    expect(cleanAuthorizationCode('\tAQBx7Kq2 ')).toBe('AQBx7Kq2');
  });

  it.each(['AQBx7Kq2-abc_DEF', 'AQB_', 'AQB#_x'])('leaves %s as it is', (code) => {
    expect(cleanAuthorizationCode(code)).toBe(code);
  });
});
