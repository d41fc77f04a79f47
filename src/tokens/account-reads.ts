import { ReadCache, type ReadCacheOptions } from '../common/read-cache.js';
import { SingleFlight } from '../common/single-flight.js';
import type { StoredTokenCalls } from './stored-token-calls.js';
import type { TokensService, UsableToken } from './tokens.service.js';

/**
 * Reads of Instagram made with a connection's stored token for callers who never see it.
 * Identical concurrent reads of one account (same key) share one call and its answer or problem;
 * a successful answer may be reused for a while, never across a new token and never for a
 * connection that is gone or out of use; a token Instagram rejects (190) marks the connection.
 * Values kept must hold no token.
 */
export class AccountReads<V> {
  private readonly flights = new SingleFlight<string, V>();
  private readonly cache: ReadCache<string, V>;

  constructor(
    private readonly tokens: TokensService,
    private readonly calls: StoredTokenCalls,
    cache: ReadCacheOptions<V>,
  ) {
    this.cache = new ReadCache(cache);
  }

  /** `key` names the read within the account: its path and query. */
  read(igUserId: string, key: string, call: (usable: UsableToken) => Promise<V>): Promise<V> {
    const flightKey = `${igUserId} ${key}`;
    return this.flights.run(flightKey, async () => {
      const usable = await this.tokens.usableToken(igUserId);
      const version = usable.connection.tokenIssuedAt?.getTime() ?? 0;
      const cached = this.cache.get(flightKey, version);
      if (cached !== undefined) {
        return cached;
      }
      const value = await this.calls.run(usable.connection, () => call(usable));
      this.cache.set(flightKey, version, value);
      return value;
    });
  }
}
