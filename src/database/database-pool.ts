import { Injectable, Logger, type OnApplicationShutdown } from '@nestjs/common';
import { ConfigService } from '@nestjs/config';
import pg from 'pg';
import { Semaphore } from '../common/semaphore.js';
import type { AppConfig, DatabaseConfig } from '../config/app-config.js';
import {
  DatabaseUnavailableError,
  isDatabaseConnectionLost,
  isDatabaseUnavailable,
  isStalePreparedPlan,
} from './database-errors.js';

const PROBE_INTERVAL_MS = 1000;
const PROBE_TIMEOUT_MS = 1000;
/**
 * How long a spare connection may sit idle before the pool ends it. node-postgres' default, 10 s,
 * churns: the pool lends its most recently used connection first, so under a steady load the
 * spares idle out every ten seconds, and the next burst waits for PostgreSQL to start a backend
 * for each, then prepares the statements on it again.
 */
const IDLE_CONNECTION_MS = 10 * 60 * 1000;

/** A statement run by name: each connection parses and plans it once. */
export interface PreparedStatement {
  name: string;
  text: string;
}

type ConnectCallback = (
  error: Error | undefined,
  client: pg.PoolClient | undefined,
  done: (release?: unknown) => void,
) => void;

/**
 * A pg.Pool that refuses at once, without a connection attempt, while its gate is shut, and
 * never takes back a connection that is not clean: one whose transaction was left open (a
 * ROLLBACK that timed out against a frozen server, say) or whose query is still running would
 * otherwise serve the next caller inside that transaction, and its writes would never commit.
 */
class GatedPool extends pg.Pool {
  constructor(
    config: pg.PoolConfig,
    private readonly isOpen: () => boolean,
  ) {
    super(config);
  }

  override connect(): Promise<pg.PoolClient>;
  override connect(callback: ConnectCallback): void;
  override connect(callback?: ConnectCallback): Promise<pg.PoolClient> | void {
    if (!this.isOpen()) {
      const error = new DatabaseUnavailableError();
      if (callback === undefined) {
        return Promise.reject(error);
      }
      process.nextTick(() => callback(error, undefined, () => undefined));
      return;
    }
    if (callback === undefined) {
      return super.connect().then(releasedOnlyWhenClean);
    }
    super.connect((error, client, done) =>
      callback(error, client === undefined ? undefined : releasedOnlyWhenClean(client), done),
    );
  }
}

/** node-postgres' own view of the session: no query running, not inside a transaction. */
interface ClientState {
  _activeQuery?: unknown;
  _txStatus?: string | null;
  _queryQueue?: unknown[];
}

function releasedOnlyWhenClean(client: pg.PoolClient): pg.PoolClient {
  const release = client.release.bind(client);
  client.release = (error?: Error | boolean) => {
    const state = client as unknown as ClientState;
    const clean =
      state._activeQuery == null &&
      (state._queryQueue?.length ?? 0) === 0 &&
      (state._txStatus == null || state._txStatus === 'I');
    release(error ?? (clean ? undefined : new Error('connection left inside a transaction')));
  };
  return client;
}

/**
 * The service's connections to PostgreSQL, shared by Prisma and the hand-written reads, with
 * every wait bounded by DATABASE_TIMEOUT_MS. When a query finds the database unreachable, the
 * pool shuts: requests fail at once (503) instead of each waiting out the timeout, while a probe
 * checks every second and opens it again. An outage is logged once when confirmed and once when
 * it ends, with the number of failures in between.
 */
@Injectable()
export class DatabasePool implements OnApplicationShutdown {
  private readonly logger = new Logger('Database');
  private readonly settings: DatabaseConfig;
  readonly pool: pg.Pool;
  private open = true;
  private outage: { since: number; failures: number; confirmed: boolean } | undefined;
  private probeTimer: NodeJS.Timeout | undefined;
  private closed = false;
  private readonly background: Semaphore;

  constructor(config: ConfigService<AppConfig, true>) {
    this.settings = config.get('database', { infer: true });
    this.pool = new GatedPool(poolConfig(this.settings), () => this.open);
    this.background = new Semaphore(this.settings.backgroundPoolSize);
    // An idle connection the server dropped; the pool replaces it. Without a listener it would
    // crash the process.
    // The error object itself is not logged: node-postgres hangs the client (and its connection
    // settings) on it.
    this.pool.on('error', (error) =>
      this.logger.debug({ reason: error.message }, 'idle connection lost'),
    );
  }

  /**
   * Runs a piece of background work (a sweep's claim or write, a delivery's bookkeeping) that
   * uses at most one connection: at most DATABASE's background share run at once, so requests
   * always keep DATABASE_POOL_SIZE connections of their own.
   */
  runBackground<T>(work: () => Promise<T>): Promise<T> {
    return this.background.run(work);
  }

  /**
   * Runs a named statement on the pool. A prepared plan does not survive a migration that
   * changes the type of a column it returns; that query runs once more unprepared (the pool has
   * already ended the connection that failed), so a schema change under a running replica fails
   * no request.
   */
  async prepared<Row extends pg.QueryResultRow>(
    statement: PreparedStatement,
    values: unknown[],
  ): Promise<pg.QueryResult<Row>> {
    try {
      return await this.pool.query<Row>({ ...statement, values });
    } catch (error) {
      if (!isStalePreparedPlan(error)) {
        throw error;
      }
      return this.pool.query<Row>(statement.text, values);
    }
  }

  /** False while an outage stands (the pool is shut and a probe is running). */
  get available(): boolean {
    return this.open;
  }

  /**
   * Tells the pool a query failed. Answers whether the failure was the database being
   * unavailable (then it is counted; a lost connection shuts the pool and starts the probe).
   */
  reportFailure(error: unknown): boolean {
    if (!isDatabaseUnavailable(error)) {
      return false;
    }
    if (this.outage !== undefined) {
      this.outage.failures += 1;
      return true;
    }
    if (!isDatabaseConnectionLost(error)) {
      // Up but busy (a statement or a wait for a connection timed out): a 503, no outage.
      return true;
    }
    this.outage = { since: Date.now(), failures: 1, confirmed: false };
    this.open = false;
    this.scheduleProbe(0);
    return true;
  }

  /**
   * For background work: a database outage is counted (the pool logs it once); anything else
   * is the caller's to log as an error.
   */
  reportBackgroundFailure(logger: Logger, error: unknown, message: string): void {
    if (this.reportFailure(error)) {
      logger.debug({ reason: error instanceof Error ? error.message : String(error) }, message);
    } else {
      logger.error({ err: error }, message);
    }
  }

  async onApplicationShutdown(): Promise<void> {
    this.closed = true;
    clearTimeout(this.probeTimer);
    await this.pool.end().catch(() => undefined);
  }

  private scheduleProbe(delayMs: number): void {
    if (this.closed) {
      return;
    }
    this.probeTimer = setTimeout(() => void this.probe(), delayMs);
    this.probeTimer.unref();
  }

  private async probe(): Promise<void> {
    const outage = this.outage;
    if (outage === undefined || this.closed) {
      return;
    }
    const reason = await this.ping();
    if (reason === undefined) {
      this.outage = undefined;
      this.open = true;
      if (outage.confirmed) {
        this.logger.warn(
          { failedRequests: outage.failures, downMs: Date.now() - outage.since },
          'database reachable again',
        );
      }
      return;
    }
    if (!outage.confirmed) {
      outage.confirmed = true;
      this.logger.warn(
        { reason },
        'database unreachable; answering 503 database_unavailable until it is back',
      );
    }
    this.scheduleProbe(PROBE_INTERVAL_MS);
  }

  /** One SELECT 1 on a connection of its own; answers why it failed, or undefined. */
  private async ping(): Promise<string | undefined> {
    const timeout = Math.min(PROBE_TIMEOUT_MS, this.settings.timeoutMs);
    const client = new pg.Client({
      connectionString: this.settings.url,
      connectionTimeoutMillis: timeout,
      query_timeout: timeout,
      application_name: 'instagram-token-vault probe',
    });
    client.on('error', () => undefined);
    try {
      await client.connect();
      await client.query('SELECT 1');
      return undefined;
    } catch (error) {
      return error instanceof Error ? error.message : String(error);
    } finally {
      void client.end().catch(() => undefined);
    }
  }
}

function poolConfig(settings: DatabaseConfig): pg.PoolConfig {
  return {
    connectionString: settings.url,
    max: settings.poolSize + settings.backgroundPoolSize,
    idleTimeoutMillis: IDLE_CONNECTION_MS,
    // Bounds both opening a connection and waiting for a free one.
    connectionTimeoutMillis: settings.timeoutMs,
    // The server cancels a slow statement; the client gives up on a server that went silent.
    statement_timeout: settings.timeoutMs,
    query_timeout: settings.timeoutMs,
    // The server ends a session left idle inside a transaction (a client that vanished).
    idle_in_transaction_session_timeout: settings.timeoutMs * 4,
    keepAlive: true,
    application_name: 'instagram-token-vault',
  };
}
