import {
  nextInstagramId,
  randomAccessToken,
  randomAuthorizationCode,
  reserveInstagramIdsThrough,
  reserveMediaIdsThrough,
} from './emulator.ids.js';
import { DEFAULT_POSTS, makePosts } from './emulator.posts.js';
import type {
  EmulatorAccount,
  EmulatorAccountOverrides,
  EmulatorApp,
  EmulatorMedia,
  EmulatorPostSpec,
  EmulatorTokenState,
} from './emulator.types.js';

export const CODE_LIFETIME_MS = 60 * 60 * 1000;
export const SHORT_LIVED_LIFETIME_MS = 60 * 60 * 1000;
export const LONG_LIVED_LIFETIME_MS = 60 * 24 * 60 * 60 * 1000;

export interface CodeRecord {
  appId: string;
  redirectUri: string;
  scopes: string[];
  userId: string;
  expiresAt: number;
  used: boolean;
}

export interface TokenRecord extends EmulatorTokenState {
  appId: string;
  scopes: string[];
}

/** What survives a restart: accounts, their media and tokens (codes live an hour; not kept). */
export interface EmulatorSnapshot {
  accounts: EmulatorAccount[];
  tokens: [string, TokenRecord][];
  clockOffset: number;
  usernameCounter: number;
  /** Missing in snapshots of emulators before media: their accounts get the default posts. */
  media?: EmulatorMedia[];
  posts?: [string, string[]][];
}

/** Everything the emulator knows, on its own clock. */
export class EmulatorStore {
  private readonly apps = new Map<string, EmulatorApp>();
  private readonly accounts = new Map<string, EmulatorAccount>();
  private readonly codes = new Map<string, CodeRecord>();
  private readonly tokens = new Map<string, TokenRecord>();
  private readonly media = new Map<string, EmulatorMedia>();
  /** An account's (userId) posts, newest first. */
  private readonly posts = new Map<string, string[]>();
  private clockOffset = 0;
  private usernameCounter = 0;

  constructor(private readonly wallClock: () => number) {}

  snapshot(): EmulatorSnapshot {
    return {
      accounts: [...this.accounts.values()],
      tokens: [...this.tokens.entries()],
      clockOffset: this.clockOffset,
      usernameCounter: this.usernameCounter,
      media: [...this.media.values()],
      posts: [...this.posts.entries()],
    };
  }

  restore(snapshot: EmulatorSnapshot): void {
    for (const account of snapshot.accounts) {
      this.accounts.set(account.userId, account);
      for (const id of [account.userId, account.appScopedId, account.professionalId]) {
        reserveInstagramIdsThrough(id);
      }
    }
    for (const [token, record] of snapshot.tokens) {
      this.tokens.set(token, record);
    }
    this.clockOffset = snapshot.clockOffset;
    this.usernameCounter = snapshot.usernameCounter;
    for (const media of snapshot.media ?? []) {
      this.media.set(media.id, media);
      reserveMediaIdsThrough(media.id);
    }
    for (const [userId, ids] of snapshot.posts ?? []) {
      this.posts.set(userId, ids);
    }
    for (const account of snapshot.accounts) {
      if (!this.posts.has(account.userId)) {
        this.addPosts(account, DEFAULT_POSTS);
      }
    }
  }

  now(): number {
    return this.wallClock() + this.clockOffset;
  }

  advanceClock(ms: number): void {
    this.clockOffset += ms;
  }

  registerApp(app: EmulatorApp): void {
    this.apps.set(app.appId, { ...app, redirectUris: [...app.redirectUris] });
  }

  findApp(appId: string): EmulatorApp | undefined {
    return this.apps.get(appId);
  }

  createAccount(options: EmulatorAccountOverrides = {}): EmulatorAccount {
    const { posts = DEFAULT_POSTS, ...overrides } = options;
    if (overrides.username !== undefined && this.findAccountByUsername(overrides.username)) {
      throw new Error(`an account named ${overrides.username} already exists`);
    }
    const specs = typeof posts === 'number' ? Array.from({ length: posts }, () => ({})) : posts;
    const username = overrides.username ?? this.suggestUsername();
    const number = this.accounts.size + 1;
    const account: EmulatorAccount = {
      username,
      name: `Emulator User ${number}`,
      accountType: 'BUSINESS',
      profilePictureUrl: `https://instagram-emulator.invalid/pictures/${username}.jpg`,
      followersCount: 100 + number,
      followsCount: 10 + number,
      mediaCount: specs.length,
      ...withoutUndefined(overrides),
      userId: nextInstagramId(),
      appScopedId: nextInstagramId(),
      professionalId: nextInstagramId(),
    };
    this.accounts.set(account.userId, account);
    this.addPosts(account, specs);
    return { ...account };
  }

  /** New posts of the account, newest first, before the ones it has. */
  addPosts(account: EmulatorAccount, specs: readonly EmulatorPostSpec[]): EmulatorMedia[] {
    const { posts, children } = makePosts(account, specs, this.now());
    for (const media of [...posts, ...children]) {
      this.media.set(media.id, media);
    }
    this.posts.set(account.userId, [
      ...posts.map((post) => post.id),
      ...(this.posts.get(account.userId) ?? []),
    ]);
    return posts;
  }

  /** The account's posts (carousels without their items), newest first. */
  postsOf(userId: string): EmulatorMedia[] {
    return (this.posts.get(userId) ?? []).map((id) => this.media.get(id) as EmulatorMedia);
  }

  findMedia(id: string): EmulatorMedia | undefined {
    return this.media.get(id);
  }

  /** The account any of whose three ids this is. */
  findAccountByAnyId(id: string): EmulatorAccount | undefined {
    return [...this.accounts.values()].find((account) =>
      [account.userId, account.appScopedId, account.professionalId].includes(id),
    );
  }

  findAccount(userId: string): EmulatorAccount | undefined {
    return this.accounts.get(userId);
  }

  findAccountByUsername(username: string): EmulatorAccount | undefined {
    return [...this.accounts.values()].find((account) => account.username === username);
  }

  accountUsernames(): string[] {
    return [...this.accounts.values()].map((account) => account.username);
  }

  /** A username no account has yet. */
  suggestUsername(): string {
    let username: string;
    do {
      this.usernameCounter += 1;
      username = `emulator_user_${this.usernameCounter}`;
    } while (this.findAccountByUsername(username));
    return username;
  }

  issueCode(grant: Omit<CodeRecord, 'expiresAt' | 'used'>): string {
    const code = randomAuthorizationCode();
    this.codes.set(code, {
      ...grant,
      scopes: [...grant.scopes],
      expiresAt: this.now() + CODE_LIFETIME_MS,
      used: false,
    });
    return code;
  }

  findCode(code: string): CodeRecord | undefined {
    return this.codes.get(code);
  }

  issueToken(
    kind: TokenRecord['kind'],
    grant: { appId: string; userId: string; scopes: string[] },
  ): { accessToken: string; record: TokenRecord } {
    const accessToken = randomAccessToken();
    const issuedAt = this.now();
    const lifetime = kind === 'short_lived' ? SHORT_LIVED_LIFETIME_MS : LONG_LIVED_LIFETIME_MS;
    const record: TokenRecord = {
      kind,
      appId: grant.appId,
      userId: grant.userId,
      scopes: [...grant.scopes],
      issuedAt,
      expiresAt: issuedAt + lifetime,
      revoked: false,
    };
    this.tokens.set(accessToken, record);
    return { accessToken, record };
  }

  findToken(accessToken: string): TokenRecord | undefined {
    return this.tokens.get(accessToken);
  }

  /** Revokes the tokens issued so far; a later consent grants working tokens again. */
  revokeAccount(userId: string): void {
    if (!this.accounts.has(userId)) {
      throw new Error(`no account with user id ${userId}`);
    }
    for (const record of this.tokens.values()) {
      if (record.userId === userId) {
        record.revoked = true;
      }
    }
  }
}

function withoutUndefined<T extends object>(value: T): Partial<T> {
  return Object.fromEntries(
    Object.entries(value).filter((entry) => entry[1] !== undefined),
  ) as Partial<T>;
}
