import { ConnectionStatus, TokenKind } from './connection.record.js';
import { effectiveStatus, hasLapsed, type RefreshFacts, RefreshPolicy } from './refresh-policy.js';

const SECOND = 1000;
const MINUTE = 60 * SECOND;
const HOUR = 60 * MINUTE;
const DAY = 24 * HOUR;
const NOW = new Date('2027-03-01T12:00:00.000Z');
const at = (offsetMs: number): Date => new Date(NOW.getTime() + offsetMs);

/** The defaults: refresh 7 days ahead, never a token younger than 24 hours. */
const policy = new RefreshPolicy({ aheadSeconds: 7 * 24 * 3600, minAgeSeconds: 24 * 3600 });

/** A healthy long-lived token issued a day and a half ago, 60 days to live, nothing pending. */
function longLived(overrides: Partial<RefreshFacts> = {}): RefreshFacts {
  return {
    status: ConnectionStatus.active,
    tokenKind: TokenKind.long_lived,
    tokenIssuedAt: at(-36 * HOUR),
    expiresAt: at(60 * DAY - 36 * HOUR),
    nextRefreshAt: at(53 * DAY - 36 * HOUR),
    refreshAttempts: 0,
    ...overrides,
  };
}

describe('effectiveStatus', () => {
  it('counts an active connection whose token has run out as expired', () => {
    expect(effectiveStatus({ status: ConnectionStatus.active, expiresAt: at(-1) }, NOW)).toBe(
      ConnectionStatus.expired,
    );
    expect(effectiveStatus({ status: ConnectionStatus.active, expiresAt: NOW }, NOW)).toBe(
      ConnectionStatus.expired,
    );
  });

  it('keeps an active connection with time left, or with no known expiry, active', () => {
    expect(effectiveStatus({ status: ConnectionStatus.active, expiresAt: at(1) }, NOW)).toBe(
      ConnectionStatus.active,
    );
    expect(effectiveStatus({ status: ConnectionStatus.active, expiresAt: null }, NOW)).toBe(
      ConnectionStatus.active,
    );
  });

  it.each([ConnectionStatus.invalid, ConnectionStatus.revoked, ConnectionStatus.expired])(
    'leaves a connection that is %s as it is, lapsed or not',
    (status) => {
      expect(effectiveStatus({ status, expiresAt: at(-DAY) }, NOW)).toBe(status);
      expect(effectiveStatus({ status, expiresAt: at(DAY) }, NOW)).toBe(status);
    },
  );

  it('says a token without an expiry never lapses', () => {
    expect(hasLapsed({ expiresAt: null }, NOW)).toBe(false);
    expect(hasLapsed({ expiresAt: at(-1) }, NOW)).toBe(true);
  });
});

describe('RefreshPolicy', () => {
  describe('firstRefreshAt', () => {
    it('schedules a short-lived token a minute after it was stored (its upgrade failed)', () => {
      const token = { kind: TokenKind.short_lived, issuedAt: NOW, expiresAt: at(HOUR) };
      expect(policy.firstRefreshAt(token)).toEqual(at(MINUTE));
    });

    it('schedules a long-lived token when its refresh window opens, 7 days before its end', () => {
      const token = { kind: TokenKind.long_lived, issuedAt: NOW, expiresAt: at(60 * DAY) };
      expect(policy.firstRefreshAt(token)).toEqual(at(53 * DAY));
    });

    it('never schedules a long-lived token before Instagram allows it (24 hours old)', () => {
      const token = { kind: TokenKind.long_lived, issuedAt: NOW, expiresAt: at(3 * DAY) };
      expect(policy.firstRefreshAt(token)).toEqual(at(DAY));
    });

    it('adds the time to what schedule() answers, keeping the token as it was', () => {
      const token = {
        kind: TokenKind.long_lived,
        keyId: 'k1',
        ciphertext: Buffer.from('sealed'),
        issuedAt: NOW,
        expiresAt: at(60 * DAY),
      };
      expect(policy.schedule(token)).toEqual({ ...token, nextRefreshAt: at(53 * DAY) });
    });
  });

  describe('isDue', () => {
    it('is due once next_refresh_at has come, and not a moment before', () => {
      expect(policy.isDue(longLived({ nextRefreshAt: NOW }), NOW)).toBe(true);
      expect(policy.isDue(longLived({ nextRefreshAt: at(-SECOND) }), NOW)).toBe(true);
      expect(policy.isDue(longLived({ nextRefreshAt: at(SECOND) }), NOW)).toBe(false);
    });

    it('is due by the current settings when a long-lived token is in its window and old enough', () => {
      const inWindow = longLived({ expiresAt: at(3 * DAY), nextRefreshAt: at(40 * DAY) });
      expect(policy.isDue(inWindow, NOW)).toBe(true);
      expect(policy.isDue({ ...inWindow, tokenIssuedAt: at(-23 * HOUR) }, NOW)).toBe(false);
      expect(policy.isDue({ ...inWindow, expiresAt: at(8 * DAY) }, NOW)).toBe(false);
      expect(policy.isDue({ ...inWindow, tokenKind: TokenKind.short_lived }, NOW)).toBe(false);
    });

    it('keeps the back-off after a failure even when the window says due', () => {
      const backingOff = longLived({
        expiresAt: at(3 * DAY),
        nextRefreshAt: at(HOUR),
        refreshAttempts: 2,
      });
      expect(policy.isDue(backingOff, NOW)).toBe(false);
      expect(policy.isDue(backingOff, at(HOUR))).toBe(true);
    });

    it('is never due for a connection out of use or past its end', () => {
      const due = { nextRefreshAt: at(-MINUTE) };
      for (const status of [
        ConnectionStatus.invalid,
        ConnectionStatus.revoked,
        ConnectionStatus.expired,
      ]) {
        expect(policy.isDue(longLived({ ...due, status }), NOW)).toBe(false);
      }
      expect(policy.isDue(longLived({ ...due, expiresAt: NOW }), NOW)).toBe(false);
      expect(policy.isDue(longLived({ ...due, expiresAt: null }), NOW)).toBe(false);
    });

    it('answers the same as the cutoffs the claim query is given', () => {
      const cutoffs = policy.dueCutoffs(NOW);
      expect(cutoffs).toEqual({ now: NOW, expiringBefore: at(7 * DAY), issuedBefore: at(-DAY) });
      const onTheEdge = longLived({
        expiresAt: cutoffs.expiringBefore,
        tokenIssuedAt: cutoffs.issuedBefore,
        nextRefreshAt: at(DAY),
      });
      expect(policy.isDue(onTheEdge, NOW)).toBe(true);
    });
  });

  describe('refreshAllowedFrom', () => {
    it('allows a long-lived token from 24 hours after it was issued', () => {
      expect(policy.refreshAllowedFrom(longLived({ tokenIssuedAt: NOW }))).toEqual(at(DAY));
    });

    it('allows upgrading a short-lived token at any time', () => {
      expect(
        policy.refreshAllowedFrom({ tokenKind: TokenKind.short_lived, tokenIssuedAt: NOW }),
      ).toBeNull();
    });
  });

  describe('retryAt', () => {
    const lowestJitter = (): number => 0;
    const farEnd = at(60 * DAY);

    it('backs off from a minute, doubling with each failure in a row', () => {
      const waits = [1, 2, 3, 4].map(
        (attempts) =>
          policy.retryAt(attempts, farEnd, NOW, { random: lowestJitter }).getTime() - NOW.getTime(),
      );
      // The lowest jitter is half: 1, 2, 4, 8 minutes halved.
      expect(waits).toEqual([30 * SECOND, MINUTE, 2 * MINUTE, 4 * MINUTE]);
    });

    it('never waits more than six hours', () => {
      const wait =
        policy.retryAt(50, farEnd, NOW, { random: () => 0.999 }).getTime() - NOW.getTime();
      expect(wait).toBeLessThanOrEqual(6 * HOUR);
      expect(wait).toBeGreaterThan(5 * HOUR);
    });

    it('waits out a hold Instagram asked for, however short the back-off', () => {
      const hold = { notBefore: at(2 * HOUR), random: lowestJitter };
      expect(policy.retryAt(1, farEnd, NOW, hold)).toEqual(at(2 * HOUR));
    });

    it('tries again before the token ends, ten minutes ahead of it', () => {
      const endsSoon = at(2 * HOUR);
      expect(policy.retryAt(10, endsSoon, NOW, { random: lowestJitter })).toEqual(
        at(2 * HOUR - 10 * MINUTE),
      );
    });

    it('still waits a minute when the token is about to end', () => {
      expect(policy.retryAt(10, at(5 * MINUTE), NOW, { random: lowestJitter })).toEqual(at(MINUTE));
    });
  });
});
