// The raw baseline `npm run bench` compares the service with: plain node:http + pg + node:crypto
// + undici, doing exactly the service's work on its three hot reads and nothing else.
//
// Per request, as the service does it:
// - the same bearer check: every configured key's SHA-256 digest compared in constant time with
//   the presented secret's, then the route's scope;
// - the same igUserId check (digits) and the same table: one primary-key read of `connections`
//   on a pool of the same size and timeouts;
// - GET /tokens/:id: the connection as the service shows it (effective status, ISO dates);
// - GET /tokens/:id/access-token: active and unexpired, AES-256-GCM open with the connection id
//   as associated data, one audit row in token_reveals, the token and its expiry;
// - GET /users/:id: the same, then /me with the configured fields through a keep-alive undici
//   agent, the answer parsed keeping ids exact (lossless-json, as the service), the stored ids
//   and username compared and written back only when they differ.
// Errors answer a problem+json 401/403/404/409/502 as the service would.
//
// Configured through the service's own variables: PORT, DATABASE_URL, DATABASE_POOL_SIZE,
// DATABASE_TIMEOUT_MS, TOKEN_ENCRYPTION_KEYS, API_KEYS, INSTAGRAM_GRAPH_URL,
// INSTAGRAM_USER_FIELDS, INSTAGRAM_TIMEOUT_MS. Prints `listening <port>` once ready.
import { createDecipheriv, createHash, timingSafeEqual } from 'node:crypto';
import { createServer } from 'node:http';
import { parse as parseLossless } from 'lossless-json';
import pg from 'pg';
import { Agent, request as undiciRequest } from 'undici';

const env = process.env;
const timeoutMs = Number(env.DATABASE_TIMEOUT_MS ?? 5000);
const instagramTimeoutMs = Number(env.INSTAGRAM_TIMEOUT_MS ?? 10000);
const graphUrl = (env.INSTAGRAM_GRAPH_URL ?? '').replace(/\/+$/, '');
const userFields = (
  env.INSTAGRAM_USER_FIELDS ??
  'user_id,username,name,account_type,profile_picture_url,followers_count,follows_count,media_count'
).split(',');
const meFields = [...new Set(['id', ...userFields])].join(',');

const pool = new pg.Pool({
  connectionString: env.DATABASE_URL,
  max: Number(env.DATABASE_POOL_SIZE ?? 10),
  // As the service's pool: spare connections stay open through a lull (pg's default ends them
  // after 10 s idle, and the next burst waits for new backends).
  idleTimeoutMillis: 10 * 60 * 1000,
  connectionTimeoutMillis: timeoutMs,
  statement_timeout: timeoutMs,
  query_timeout: timeoutMs,
  keepAlive: true,
  application_name: 'raw-baseline',
});
pool.on('error', () => undefined);
const instagram = new Agent({ connections: 64, keepAliveTimeout: 10_000 });

const encryptionKeys = new Map(
  env.TOKEN_ENCRYPTION_KEYS.split(',').map((entry) => {
    const at = entry.indexOf(':');
    return [entry.slice(0, at).trim(), Buffer.from(entry.slice(at + 1).trim(), 'base64')];
  }),
);
const sha256 = (text) => createHash('sha256').update(text, 'utf8').digest();
const apiKeys = env.API_KEYS.split(',').map((entry) => {
  const [name, secret, scopes] = entry.trim().split(':');
  const granted =
    scopes === '*' ? ['tokens.read', 'tokens.reveal', 'users.read'] : scopes.split('+');
  return { digest: sha256(secret), name, scopes: new Set(granted) };
});

const COLUMNS =
  'ig_user_id, app_scoped_id, professional_id, owner_id, username, scopes, token_kind, status,' +
  ' token_issued_at, expires_at, last_refreshed_at, refresh_attempts, next_refresh_at,' +
  ' last_refresh_error, last_refresh_error_at, created_at, updated_at';
const FIND = `SELECT ${COLUMNS} FROM connections WHERE ig_user_id = $1`;
const FIND_WITH_TOKEN = `SELECT ${COLUMNS}, token_ciphertext, token_key_id FROM connections WHERE ig_user_id = $1`;

class Problem extends Error {
  constructor(status, code, detail) {
    super(detail);
    this.status = status;
    this.code = code;
  }
}

function authenticate(headers, scope) {
  const match = /^Bearer[ ]+(\S+)\s*$/i.exec(headers.authorization ?? '');
  if (!match) {
    throw new Problem(401, 'unauthorized', 'Send an API key as Authorization: Bearer <secret>.');
  }
  const presented = sha256(match[1]);
  let found;
  for (const key of apiKeys) {
    if (timingSafeEqual(key.digest, presented)) {
      found = key;
    }
  }
  if (found === undefined) {
    throw new Problem(401, 'unauthorized', 'The API key is not known.');
  }
  if (!found.scopes.has(scope)) {
    throw new Problem(403, 'forbidden', `The API key "${found.name}" lacks the ${scope} scope.`);
  }
  return found;
}

async function findConnection(igUserId, withToken) {
  const { rows } = await pool.query(withToken ? FIND_WITH_TOKEN : FIND, [igUserId]);
  if (rows.length === 0) {
    throw new Problem(404, 'connection_not_found', `No connection for Instagram user ${igUserId}.`);
  }
  return rows[0];
}

function effectiveStatus(row, now) {
  return row.status === 'active' && row.expires_at !== null && row.expires_at <= now
    ? 'expired'
    : row.status;
}

const iso = (date) => (date === null ? null : date.toISOString());

function connectionBody(row) {
  const status = effectiveStatus(row, new Date());
  return {
    igUserId: row.ig_user_id,
    ownerId: row.owner_id,
    username: row.username,
    scopes: row.scopes,
    tokenKind: row.token_kind,
    status,
    expiresAt: iso(row.expires_at),
    lastRefreshedAt: iso(row.last_refreshed_at),
    nextRefreshAt: status === 'active' ? iso(row.next_refresh_at) : null,
    refreshAttempts: row.refresh_attempts,
    lastRefreshError: row.last_refresh_error,
    lastRefreshErrorAt: iso(row.last_refresh_error_at),
    createdAt: iso(row.created_at),
    updatedAt: iso(row.updated_at),
  };
}

/** The service's usableToken: active and unexpired (a lapsed row is written down), then opened. */
async function usableToken(igUserId) {
  const row = await findConnection(igUserId, true);
  if (effectiveStatus(row, new Date()) !== row.status) {
    await pool.query(
      "UPDATE connections SET status = 'expired' WHERE ig_user_id = $1 AND status = 'active'",
      [igUserId],
    );
    row.status = 'expired';
  }
  if (row.status !== 'active' || row.token_ciphertext === null) {
    throw new Problem(
      409,
      'connection_not_active',
      `The connection of ${igUserId} is ${row.status}.`,
    );
  }
  return { row, accessToken: open(row.token_key_id, row.token_ciphertext, igUserId) };
}

function open(keyId, blob, igUserId) {
  const key = encryptionKeys.get(keyId);
  if (key === undefined || blob.length < 29 || blob[0] !== 1) {
    throw new Problem(500, 'internal_error', 'The stored token could not be opened.');
  }
  const decipher = createDecipheriv('aes-256-gcm', key, blob.subarray(1, 13), {
    authTagLength: 16,
  });
  decipher.setAAD(Buffer.from(`instagram-token-vault:v1:${igUserId}`, 'utf8'));
  decipher.setAuthTag(blob.subarray(blob.length - 16));
  return Buffer.concat([
    decipher.update(blob.subarray(13, blob.length - 16)),
    decipher.final(),
  ]).toString('utf8');
}

async function readMe(accessToken) {
  const url = new URL(`${graphUrl}/me`);
  url.searchParams.set('fields', meFields);
  url.searchParams.set('access_token', accessToken);
  const response = await undiciRequest(url, {
    method: 'GET',
    dispatcher: instagram,
    signal: AbortSignal.timeout(instagramTimeoutMs),
  });
  const text = await response.body.text();
  if (response.statusCode !== 200) {
    throw new Problem(502, 'instagram_unavailable', 'Instagram refused the read.');
  }
  const body = parseLossless(text, null, (digits) => digits);
  return body.data !== null && typeof body.data === 'object' ? body.data : body;
}

const text = (value) => (typeof value === 'string' && value.length > 0 ? value : null);
const count = (value) => (typeof value === 'string' ? Number(value) : null);

const routes = [
  {
    pattern: /^\/tokens\/([^/]+)$/,
    scope: 'tokens.read',
    handle: async (igUserId) => connectionBody(await findConnection(igUserId, false)),
  },
  {
    pattern: /^\/tokens\/([^/]+)\/access-token$/,
    scope: 'tokens.reveal',
    handle: async (igUserId, key) => {
      const { row, accessToken } = await usableToken(igUserId);
      await pool.query('INSERT INTO token_reveals (ig_user_id, api_key_name) VALUES ($1, $2)', [
        igUserId,
        key.name,
      ]);
      return { igUserId, accessToken, expiresAt: iso(row.expires_at) };
    },
  },
  {
    pattern: /^\/users\/([^/]+)$/,
    scope: 'users.read',
    handle: async (igUserId) => {
      const { row, accessToken } = await usableToken(igUserId);
      const node = await readMe(accessToken);
      const learned = {
        username: text(node.username),
        appScopedId: text(node.id),
        professionalId: text(node.user_id),
      };
      if (
        learned.username !== row.username ||
        learned.appScopedId !== row.app_scoped_id ||
        learned.professionalId !== row.professional_id
      ) {
        await pool.query(
          'UPDATE connections SET username = $2, app_scoped_id = $3, professional_id = $4 WHERE ig_user_id = $1',
          [igUserId, learned.username, learned.appScopedId, learned.professionalId],
        );
      }
      return {
        igUserId,
        username: learned.username,
        name: text(node.name),
        accountType: text(node.account_type),
        profilePictureUrl: text(node.profile_picture_url),
        followersCount: count(node.followers_count),
        followsCount: count(node.follows_count),
        mediaCount: count(node.media_count),
      };
    },
  },
];

function send(response, status, type, body) {
  const payload = JSON.stringify(body);
  response.writeHead(status, {
    'content-type': type,
    'content-length': Buffer.byteLength(payload),
    'cache-control': 'no-store',
  });
  response.end(payload);
}

const server = createServer((request, response) => {
  const path = (request.url ?? '/').split('?')[0];
  const route = request.method === 'GET' ? routes.find((r) => r.pattern.test(path)) : undefined;
  if (route === undefined) {
    send(response, 404, 'application/problem+json', { status: 404, code: 'not_found' });
    return;
  }
  const igUserId = decodeURIComponent(route.pattern.exec(path)[1]);
  Promise.resolve()
    .then(() => {
      const key = authenticate(request.headers, route.scope);
      if (!/^\d{1,32}$/.test(igUserId)) {
        throw new Problem(400, 'validation_failed', 'igUserId must be a string of digits.');
      }
      return route.handle(igUserId, key);
    })
    .then(
      (body) => send(response, 200, 'application/json; charset=utf-8', body),
      (error) => {
        const status = error instanceof Problem ? error.status : 500;
        const code = error instanceof Problem ? error.code : 'internal_error';
        send(response, status, 'application/problem+json', { status, code, detail: error.message });
      },
    );
});

server.keepAliveTimeout = 72_000;
server.listen(Number(env.PORT ?? 0), '127.0.0.1', () => {
  process.stdout.write(`listening ${server.address().port}\n`);
});

const stop = () => {
  server.close();
  server.closeAllConnections();
  void Promise.allSettled([pool.end(), instagram.close()]).then(() => process.exit(0));
};
process.once('SIGTERM', stop);
process.once('SIGINT', stop);
