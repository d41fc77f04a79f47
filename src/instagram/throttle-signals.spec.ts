import {
  DEFAULT_HOLD_SECONDS,
  highestUsage,
  readUsage,
  retryAfterSeconds,
  throttleScope,
  throttleSeconds,
} from './throttle-signals.js';

const NOW = Date.parse('2026-11-29T12:00:00Z');
const BUC = (regain: number, callCount = 100) =>
  JSON.stringify({
    '17841400000000001': [
      {
        type: 'instagram',
        call_count: callCount,
        total_cputime: 12,
        total_time: 9,
        estimated_time_to_regain_access: regain,
      },
    ],
  });

describe('throttle signals', () => {
  it('reads Retry-After in seconds and as an HTTP date', () => {
    expect(retryAfterSeconds({ 'retry-after': '420' }, NOW)).toBe(420);
    expect(retryAfterSeconds({ 'retry-after': 'Sun, 29 Nov 2026 12:05:00 GMT' }, NOW)).toBe(300);
    expect(retryAfterSeconds({ 'retry-after': 'soon' }, NOW)).toBeUndefined();
    expect(retryAfterSeconds({}, NOW)).toBeUndefined();
  });

  it("waits the longest of Retry-After and the accounts' regain estimate, in seconds", () => {
    expect(throttleSeconds({ 'x-business-use-case-usage': BUC(30) }, NOW)).toBe(1800);
    expect(
      throttleSeconds({ 'x-business-use-case-usage': BUC(2), 'retry-after': '600' }, NOW),
    ).toBe(600);
  });

  it('never waits longer than a day, whatever a header says', () => {
    expect(throttleSeconds({ 'retry-after': '99999999999' }, NOW)).toBe(24 * 60 * 60);
  });

  it('waits 60 seconds when Instagram says nothing of how long', () => {
    expect(throttleSeconds({}, NOW)).toBe(DEFAULT_HOLD_SECONDS);
    expect(throttleSeconds({ 'x-business-use-case-usage': BUC(0) }, NOW)).toBe(60);
  });

  it('limits the app on code 4, the account on 17, 32, 613 and 80002', () => {
    expect(throttleScope(4, {})).toBe('app');
    for (const code of [17, 32, 613, 80002]) {
      expect(throttleScope(code, {})).toBe('account');
    }
  });

  it('reads a bare 429 as the account when its usage header says the account is spent', () => {
    expect(throttleScope(undefined, {})).toBe('app');
    expect(throttleScope(undefined, { 'x-business-use-case-usage': BUC(5) })).toBe('account');
  });

  it('reads both usage headers as percentages, the busiest account per figure', () => {
    const report = readUsage({
      'x-app-usage': '{"call_count":28,"total_time":25,"total_cputime":25}',
      'x-business-use-case-usage': JSON.stringify({
        '1': [{ call_count: 40, total_time: 91, total_cputime: 3 }],
        '2': [{ call_count: 70, total_time: 10, total_cputime: 5 }],
      }),
    });
    expect(report.app).toEqual({ call_count: 28, total_time: 25, total_cputime: 25 });
    expect(report.account).toEqual({ call_count: 70, total_time: 91, total_cputime: 5 });
    expect(highestUsage(report)).toBe(91);
  });

  it('takes a missing or garbled header as unknown, not as no usage', () => {
    expect(readUsage({})).toEqual({});
    expect(readUsage({ 'x-app-usage': '{not json' })).toEqual({});
    expect(highestUsage(readUsage({}))).toBeUndefined();
  });
});
