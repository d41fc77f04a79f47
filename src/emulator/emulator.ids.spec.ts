import { nextInstagramId, reserveInstagramIdsThrough } from './emulator.ids.js';

describe('emulator ids', () => {
  it('are odd, above 2^53, and unique', () => {
    const first = BigInt(nextInstagramId());
    const second = BigInt(nextInstagramId());
    expect(first > 2n ** 53n).toBe(true);
    expect(first % 2n).toBe(1n);
    expect(second).not.toBe(first);
  });

  it('never repeat an id a restored emulator already uses', () => {
    const restored = (BigInt(nextInstagramId()) + 2000n).toString();
    reserveInstagramIdsThrough(restored);
    expect(BigInt(nextInstagramId()) > BigInt(restored)).toBe(true);
  });
});
