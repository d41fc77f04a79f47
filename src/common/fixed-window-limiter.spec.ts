import { FixedWindowLimiter } from './fixed-window-limiter.js';

describe('FixedWindowLimiter', () => {
  it('allows the limit per window and answers the wait for the next request', () => {
    let now = 1_000;
    const limiter = new FixedWindowLimiter(2, 60_000, () => now);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(0);
    now += 10_000;
    expect(limiter.take('a')).toBe(50_000);
  });

  it('counts each key on its own', () => {
    const limiter = new FixedWindowLimiter(1, 60_000, () => 0);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('b')).toBe(0);
    expect(limiter.take('a')).toBeGreaterThan(0);
  });

  it('starts a new window once the old one has ended', () => {
    let now = 0;
    const limiter = new FixedWindowLimiter(1, 1_000, () => now);
    expect(limiter.take('a')).toBe(0);
    expect(limiter.take('a')).toBe(1_000);
    now = 1_000;
    expect(limiter.take('a')).toBe(0);
  });
});
