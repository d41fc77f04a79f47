import {
  nextInstagramId,
  nextMediaId,
  pagingCursor,
  readPagingCursor,
  reserveInstagramIdsThrough,
  reserveMediaIdsThrough,
} from './emulator.ids.js';

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

describe('emulator media ids', () => {
  it('are odd, above 2^53, and never an account id', () => {
    const media = BigInt(nextMediaId());
    expect(media > 2n ** 53n).toBe(true);
    expect(media % 2n).toBe(1n);
    expect(media.toString()).not.toBe(nextInstagramId());
  });

  it('never repeat an id a restored emulator already uses', () => {
    const restored = (BigInt(nextMediaId()) + 200n).toString();
    reserveMediaIdsThrough(restored);
    expect(BigInt(nextMediaId()) > BigInt(restored)).toBe(true);
  });

  it('make paging cursors that read back, and refuse strangers', () => {
    const id = nextMediaId();
    expect(readPagingCursor(pagingCursor(id))).toBe(id);
    expect(readPagingCursor('bm9wZQ')).toBeUndefined();
  });
});
