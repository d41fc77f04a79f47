import { backoffDelayMs } from './backoff.js';

const BASE_MS = 1000;
const CAP_MS = 60_000;
const NO_JITTER_FLOOR = (): number => 0;
const NEARLY_ONE = (): number => 0.999;

describe('backoffDelayMs', () => {
  it('doubles with each attempt, starting from the base', () => {
    const delays = [1, 2, 3, 4, 5].map((attempt) =>
      backoffDelayMs(attempt, BASE_MS, CAP_MS, NO_JITTER_FLOOR),
    );

    // The lowest jitter is half the exponential: 1000, 2000, 4000, ... halved.
    expect(delays).toEqual([500, 1000, 2000, 4000, 8000]);
  });

  it('never waits longer than the cap, however many attempts failed', () => {
    for (const attempt of [7, 8, 20, 100, 10_000]) {
      expect(backoffDelayMs(attempt, BASE_MS, CAP_MS, NEARLY_ONE)).toBeLessThanOrEqual(CAP_MS);
      expect(backoffDelayMs(attempt, BASE_MS, CAP_MS, NEARLY_ONE)).toBe(59_970);
      expect(backoffDelayMs(attempt, BASE_MS, CAP_MS, NO_JITTER_FLOOR)).toBe(CAP_MS / 2);
    }
  });

  it('scales by a jitter factor in [0.5, 1) of the exponential', () => {
    // Attempt 3: base * 2^2 = 4000 ms.
    expect(backoffDelayMs(3, BASE_MS, CAP_MS, NO_JITTER_FLOOR)).toBe(2000);
    expect(backoffDelayMs(3, BASE_MS, CAP_MS, NEARLY_ONE)).toBe(3998);
    expect(backoffDelayMs(3, BASE_MS, CAP_MS, NEARLY_ONE)).toBeLessThan(4000);
    expect(backoffDelayMs(3, BASE_MS, CAP_MS, () => 0.5)).toBe(3000);
  });

  it('keeps Math.random jitter within [half, whole) of the exponential', () => {
    for (let attempt = 1; attempt <= 10; attempt++) {
      const exponential = Math.min(CAP_MS, BASE_MS * 2 ** (attempt - 1));
      for (let i = 0; i < 50; i++) {
        const delay = backoffDelayMs(attempt, BASE_MS, CAP_MS);
        expect(delay).toBeGreaterThanOrEqual(exponential / 2);
        expect(delay).toBeLessThanOrEqual(exponential);
      }
    }
  });

  it('treats attempt 0 or below as the first attempt', () => {
    expect(backoffDelayMs(0, BASE_MS, CAP_MS, NO_JITTER_FLOOR)).toBe(500);
    expect(backoffDelayMs(-3, BASE_MS, CAP_MS, NO_JITTER_FLOOR)).toBe(500);
  });
});
