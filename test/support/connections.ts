import { randomBytes, randomInt } from 'node:crypto';
import { TokenKind } from '../../src/tokens/connection.record.js';
import { ConnectionsRepository } from '../../src/tokens/connections.repository.js';
import { RefreshPolicy } from '../../src/tokens/refresh-policy.js';
import { TokenSealer } from '../../src/tokens/token-sealer.js';
import type { TestApp } from './test-app.js';

/**
 * Fixtures and readers over the vault's tables (connections, token_reveals): the one place
 * tests name their columns. Fixtures arrange what time or another party would do to a
 * connection; readers show what the service stored, beyond what its API answers.
 */

const HOUR_MS = 60 * 60 * 1000;

/**
 * Stores a freshly consented connection the way TokensService.connect does, minus Instagram
 * (through the app's own sealer, policy and repository); answers its new igUserId.
 */
export async function storeConnection(
  test: TestApp,
  kind: TokenKind = TokenKind.long_lived,
  options: { ownerId?: string; scopes?: string[] } = {},
): Promise<string> {
  const igUserId = `17841${randomInt(100_000_000, 999_999_999)}${randomInt(1000, 9999)}`;
  const lifetimeSeconds = kind === TokenKind.long_lived ? 60 * 24 * 3600 : 3600;
  const token = test.app
    .get(TokenSealer)
    .seal(igUserId, `IGAA${randomBytes(24).toString('hex')}`, kind, lifetimeSeconds);
  await test.app.get(ConnectionsRepository).upsertConsented({
    igUserId,
    ownerId: options.ownerId,
    scopes: options.scopes ?? ['instagram_business_basic'],
    token: test.app.get(RefreshPolicy).schedule(token),
  });
  return igUserId;
}

/** A connections row as stored (snake_case columns). */
export interface ConnectionRow {
  ig_user_id: string;
  app_scoped_id: string | null;
  professional_id: string | null;
  owner_id: string | null;
  username: string | null;
  scopes: string[];
  token_kind: string;
  status: string;
  token_ciphertext: Buffer | null;
  token_key_id: string | null;
  token_issued_at: Date | null;
  expires_at: Date | null;
  next_refresh_at: Date | null;
  last_refreshed_at: Date | null;
  refresh_attempts: number;
  lease_owner: string | null;
  lease_expires_at: Date | null;
  updated_at: Date;
}

export interface SealedToken {
  ig_user_id: string;
  token_key_id: string | null;
  token_ciphertext: Buffer | null;
}

export interface LeaseRow {
  ig_user_id: string;
  lease_owner: string | null;
  lease_expires_at: Date | null;
}

/**
 * Ages the stored tokens past Instagram's 24 h refresh floor (25 hours by default), on our
 * clock and on Instagram's (the emulator's), so Instagram accepts their refresh.
 */
export async function ageToken(
  test: TestApp,
  igUserIds: string | string[],
  hours = 25,
): Promise<void> {
  const ids = typeof igUserIds === 'string' ? [igUserIds] : igUserIds;
  const rows = await test.sql(
    `UPDATE connections SET token_issued_at = now() - make_interval(hours => $2)
      WHERE ig_user_id = ANY($1) RETURNING ig_user_id`,
    [ids, hours],
  );
  expect(rows).toHaveLength(ids.length);
  test.emulator.advanceClock(hours * HOUR_MS);
}

/** The token ran out a minute ago; the status column does not know yet. */
export async function expireToken(test: TestApp, igUserId: string): Promise<void> {
  await arrangeRefreshFacts(test, igUserId, { expiresInMs: -60 * 1000 });
}

/** The token ends in three days: inside the 7-day refresh window. */
export async function bringEndNear(test: TestApp, igUserId: string): Promise<void> {
  await arrangeRefreshFacts(test, igUserId, { expiresInMs: 3 * 24 * HOUR_MS });
}

/**
 * Makes tokens due for the sweep: 25 hours old and three days from their end in our
 * database, their next refresh passed, and old enough on Instagram's clock for it to accept.
 */
export async function makeDue(test: TestApp, igUserIds: string[]): Promise<void> {
  const rows = await test.sql(
    `UPDATE connections
        SET token_issued_at = now() - interval '25 hours',
            expires_at = now() + interval '3 days',
            next_refresh_at = now() - interval '1 second'
      WHERE ig_user_id = ANY($1) RETURNING ig_user_id`,
    [igUserIds],
  );
  expect(rows).toHaveLength(igUserIds.length);
  test.emulator.advanceClock(25 * HOUR_MS);
}

/** The connection's next refresh time has passed: its back-off (or grace) is over. */
export async function passNextRefresh(test: TestApp, igUserId: string): Promise<void> {
  await test.sql(
    "UPDATE connections SET next_refresh_at = now() - interval '1 second' WHERE ig_user_id = $1",
    [igUserId],
  );
}

/** Instagram's verdict arrived some other way: the connection is invalid. */
export async function markInvalid(test: TestApp, igUserId: string): Promise<void> {
  await test.sql("UPDATE connections SET status = 'invalid' WHERE ig_user_id = $1", [igUserId]);
}

/** Says the token is sealed under `keyId` (a key the app may not have). */
export async function setTokenKeyId(test: TestApp, igUserId: string, keyId: string): Promise<void> {
  await test.sql('UPDATE connections SET token_key_id = $2 WHERE ig_user_id = $1', [
    igUserId,
    keyId,
  ]);
}

/** An attacker with database access moves one connection's sealed token onto another. */
export async function moveSealedToken(test: TestApp, fromId: string, toId: string): Promise<void> {
  await test.sql(
    `UPDATE connections SET token_ciphertext = (SELECT token_ciphertext FROM connections WHERE ig_user_id = $1),
                            token_key_id = (SELECT token_key_id FROM connections WHERE ig_user_id = $1)
     WHERE ig_user_id = $2`,
    [fromId, toId],
  );
}

/** The owner's leases run out now, as if its replica died. */
export async function expireLeasesOf(test: TestApp, owner: string): Promise<void> {
  await test.sql(
    "UPDATE connections SET lease_expires_at = now() - interval '1 second' WHERE lease_owner = $1",
    [owner],
  );
}

/**
 * Sets what the refresh rules read of a connection, to arrange many cases at once. Times are
 * milliseconds from now (negative: in the past) on the database's clock; null clears a time.
 */
export async function arrangeRefreshFacts(
  test: TestApp,
  igUserId: string,
  facts: {
    status?: string;
    tokenKind?: string;
    issuedInMs?: number;
    expiresInMs?: number | null;
    nextRefreshInMs?: number | null;
    refreshAttempts?: number;
  },
): Promise<void> {
  const values: unknown[] = [igUserId];
  const param = (value: unknown): string => {
    values.push(value);
    return `$${values.length}`;
  };
  const fromNow = (ms: number | null): string =>
    ms === null ? 'NULL' : `now() + make_interval(secs => ${param(ms / 1000)}::float)`;
  const sets: string[] = [];
  if (facts.status !== undefined) {
    sets.push(`status = ${param(facts.status)}::"ConnectionStatus"`);
  }
  if (facts.tokenKind !== undefined) {
    sets.push(`token_kind = ${param(facts.tokenKind)}::"TokenKind"`);
  }
  if (facts.issuedInMs !== undefined) {
    sets.push(`token_issued_at = ${fromNow(facts.issuedInMs)}`);
  }
  if (facts.expiresInMs !== undefined) {
    sets.push(`expires_at = ${fromNow(facts.expiresInMs)}`);
  }
  if (facts.nextRefreshInMs !== undefined) {
    sets.push(`next_refresh_at = ${fromNow(facts.nextRefreshInMs)}`);
  }
  if (facts.refreshAttempts !== undefined) {
    sets.push(`refresh_attempts = ${param(facts.refreshAttempts)}::int`);
  }
  if (sets.length === 0) {
    return;
  }
  const rows = await test.sql(
    `UPDATE connections SET ${sets.join(', ')} WHERE ig_user_id = $1 RETURNING ig_user_id`,
    values,
  );
  expect(rows).toHaveLength(1);
}

/** The stored row, or undefined when there is none. */
export async function connectionRow(
  test: TestApp,
  igUserId: string,
): Promise<ConnectionRow | undefined> {
  const [row] = await test.sql<ConnectionRow>('SELECT * FROM connections WHERE ig_user_id = $1', [
    igUserId,
  ]);
  return row;
}

/** How many rows the connection has (0 or 1). */
export async function countConnections(test: TestApp, igUserId: string): Promise<number> {
  const [row] = await test.sql<{ n: number }>(
    'SELECT count(*)::int AS n FROM connections WHERE ig_user_id = $1',
    [igUserId],
  );
  return row.n;
}

/** How many connections hold this very ciphertext. */
export async function countHoldingCiphertext(test: TestApp, ciphertext: Buffer): Promise<number> {
  const [row] = await test.sql<{ n: number }>(
    'SELECT count(*)::int AS n FROM connections WHERE token_ciphertext = $1',
    [ciphertext],
  );
  return row.n;
}

/** Every connection's id, in id order. */
export async function allConnectionIds(test: TestApp): Promise<string[]> {
  const rows = await test.sql<{ ig_user_id: string }>(
    'SELECT ig_user_id FROM connections ORDER BY ig_user_id',
  );
  return rows.map((row) => row.ig_user_id);
}

export async function sealedToken(test: TestApp, igUserId: string): Promise<SealedToken> {
  const [row] = await test.sql<SealedToken>(
    'SELECT ig_user_id, token_key_id, token_ciphertext FROM connections WHERE ig_user_id = $1',
    [igUserId],
  );
  return row;
}

/** Every stored token, in id order. */
export function sealedTokens(test: TestApp): Promise<SealedToken[]> {
  return test.sql<SealedToken>(
    `SELECT ig_user_id, token_key_id, token_ciphertext FROM connections
      WHERE token_ciphertext IS NOT NULL ORDER BY ig_user_id`,
  );
}

export function leases(test: TestApp, igUserIds: string[]): Promise<LeaseRow[]> {
  return test.sql<LeaseRow>(
    `SELECT ig_user_id, lease_owner, lease_expires_at FROM connections
      WHERE ig_user_id = ANY($1) ORDER BY ig_user_id`,
    [igUserIds],
  );
}

/** Connections any replica still holds a lease on (owner or expiry set). */
export function heldLeases(test: TestApp): Promise<{ ig_user_id: string }[]> {
  return test.sql(
    'SELECT ig_user_id FROM connections WHERE lease_owner IS NOT NULL OR lease_expires_at IS NOT NULL',
  );
}

/** The API key names of the connection's reveal audit rows, oldest first. */
export async function revealAudit(test: TestApp, igUserId: string): Promise<string[]> {
  const rows = await test.sql<{ api_key_name: string }>(
    'SELECT api_key_name FROM token_reveals WHERE ig_user_id = $1 ORDER BY id',
    [igUserId],
  );
  return rows.map((row) => row.api_key_name);
}

/** The person consented `minutes` ago (so a Meta request issued since is newer than it). */
export async function backdateConsent(
  test: TestApp,
  igUserId: string,
  minutes: number,
): Promise<void> {
  const rows = await test.sql(
    `UPDATE connections SET consented_at = now() - make_interval(mins => $2)
      WHERE ig_user_id = $1 RETURNING ig_user_id`,
    [igUserId, minutes],
  );
  expect(rows).toHaveLength(1);
}

/** The connection's reveal audit rows (all, or the oldest `count`) date from `days` ago. */
export async function ageRevealAudit(
  test: TestApp,
  igUserId: string,
  days: number,
  count?: number,
): Promise<void> {
  await test.sql(
    `UPDATE token_reveals SET revealed_at = now() - make_interval(days => $2)
      WHERE id IN (SELECT id FROM token_reveals WHERE ig_user_id = $1 ORDER BY id LIMIT $3)`,
    [igUserId, days, count ?? null],
  );
}
