import { createServer, type IncomingMessage, type Server, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import { checkAuthorizeRequest, showConsentPage, submitConsent } from './authorize.handler.js';
import { exchangeCode } from './code-exchange.handler.js';
import { parseFormBody, readBody } from './emulator.body.js';
import { accountUsageHeader, appUsageHeader, faultOutcome, FaultQueue } from './emulator.faults.js';
import { graphError } from './emulator.responses.js';
import { EmulatorStore, type EmulatorSnapshot } from './emulator.store.js';
import type {
  EmulatorAccount,
  EmulatorAccountOverrides,
  EmulatorApp,
  EmulatorCall,
  EmulatorFault,
  EmulatorMedia,
  EmulatorOperation,
  EmulatorPostSpec,
  EmulatorResponse,
  EmulatorTokenState,
  EmulatorUsage,
  ExchangeResponseShape,
} from './emulator.types.js';
import { exchangeForLongLived, refreshLongLived } from './long-lived.handler.js';
import {
  type GraphCall,
  listChildren,
  listMedia,
  noSuchObject,
  readInsights,
  readMediaObject,
} from './media.handler.js';
import { readMe } from './me.handler.js';

export type {
  EmulatorAccount,
  EmulatorApp,
  EmulatorCall,
  EmulatorFault,
  EmulatorMedia,
  EmulatorOperation,
  EmulatorPostSpec,
  EmulatorThrottle,
  EmulatorTokenState,
  EmulatorUsage,
  ExchangeResponseShape,
} from './emulator.types.js';

interface RequestInput {
  query: URLSearchParams;
  form: URLSearchParams;
  bearerToken?: string;
}

interface Route {
  operation: EmulatorOperation;
  accessToken?: (input: RequestInput) => string | undefined;
  handle: (input: RequestInput) => EmulatorResponse;
}

/** A graph read: an optional version, a node (me or an id) and an optional edge. */
const GRAPH_READ = /^(?:\/(v\d+\.\d+))?\/(me|\d{1,32})(?:\/(media|children|insights))?$/;
/** Instagram's links name a version even when the request did not. */
const LINK_VERSION = 'v23.0';

/**
 * Instagram's three hosts (www/api.instagram.com OAuth, graph.instagram.com) on one loopback
 * origin, with its own clock and injectable faults. Prints nothing.
 */
export class InstagramEmulator {
  /** Which success shape POST /oauth/access_token answers with. */
  exchangeShape: ExchangeResponseShape = 'flat';
  /** Usage headers every graph answer carries (none by default, as a quiet app sees). */
  usage: EmulatorUsage | undefined;
  /** Every request to Instagram's operations, in the order they were answered. */
  readonly calls: EmulatorCall[] = [];
  /** Added before every answer, as Instagram's own latency (0: answer at once). */
  latencyMs: number;

  private readonly store: EmulatorStore;
  private readonly faults = new FaultQueue();
  private readonly pendingDelays = new Map<NodeJS.Timeout, () => void>();
  private server?: Server;
  private baseUrl?: string;

  constructor(options: { apps?: EmulatorApp[]; now?: () => number; latencyMs?: number } = {}) {
    this.store = new EmulatorStore(options.now ?? Date.now);
    this.latencyMs = options.latencyMs ?? 0;
    for (const app of options.apps ?? []) {
      this.registerApp(app);
    }
  }

  get url(): string {
    if (this.baseUrl === undefined) {
      throw new Error('the Instagram emulator is not started');
    }
    return this.baseUrl;
  }

  async start(options: { port?: number; host?: string } = {}): Promise<string> {
    if (this.server) {
      throw new Error('the Instagram emulator is already started');
    }
    const host = options.host ?? '127.0.0.1';
    const server = createServer((request, response) => {
      void this.serve(request, response);
    });
    await new Promise<void>((resolve, reject) => {
      server.once('error', reject);
      server.listen(options.port ?? 0, host, () => {
        server.off('error', reject);
        resolve();
      });
    });
    this.server = server;
    this.baseUrl = `http://${urlHost(host)}:${(server.address() as AddressInfo).port}`;
    return this.baseUrl;
  }

  async stop(): Promise<void> {
    const server = this.server;
    if (!server) {
      return;
    }
    this.server = undefined;
    this.baseUrl = undefined;
    for (const [timer, wake] of this.pendingDelays) {
      clearTimeout(timer);
      wake();
    }
    this.pendingDelays.clear();
    await new Promise<void>((resolve) => {
      server.close(() => resolve());
      server.closeAllConnections();
    });
  }

  registerApp(app: EmulatorApp): void {
    this.store.registerApp(app);
  }

  createAccount(overrides?: EmulatorAccountOverrides): EmulatorAccount {
    return this.store.createAccount(overrides);
  }

  findAccountByUsername(username: string): EmulatorAccount | undefined {
    const account = this.store.findAccountByUsername(username);
    return account && { ...account };
  }

  /** New posts of the account, before (newer than) the ones it has; answers them, newest first. */
  addPosts(userId: string, posts: number | EmulatorPostSpec[]): EmulatorMedia[] {
    const account = this.store.findAccount(userId);
    if (!account) {
      throw new Error(`no account with user id ${userId}`);
    }
    const specs = typeof posts === 'number' ? Array.from({ length: posts }, () => ({})) : posts;
    return this.store.addPosts(account, specs).map((media) => structuredClone(media));
  }

  /** The account's posts, newest first, as /me/media lists them. */
  postsOf(userId: string): EmulatorMedia[] {
    return this.store.postsOf(userId).map((media) => structuredClone(media));
  }

  /** Any media object, a carousel's item too. */
  findMedia(id: string): EmulatorMedia | undefined {
    const media = this.store.findMedia(id);
    return media && structuredClone(media);
  }

  /** A code as if the person had pressed Allow on the consent page. */
  issueCode(input: {
    appId: string;
    redirectUri: string;
    scopes: string[];
    account?: EmulatorAccount;
  }): string {
    const check = checkAuthorizeRequest(
      this.store,
      new URLSearchParams({
        client_id: input.appId,
        redirect_uri: input.redirectUri,
        response_type: 'code',
        scope: input.scopes.join(','),
      }),
    );
    if (!check.ok) {
      throw new Error(`issueCode: ${check.message}`);
    }
    if (input.account && !this.store.findAccount(input.account.userId)) {
      throw new Error(`issueCode: account ${input.account.userId} was not made by this emulator`);
    }
    const account = input.account ?? this.store.createAccount();
    return this.store.issueCode({
      appId: input.appId,
      redirectUri: input.redirectUri,
      scopes: check.request.scopes,
      userId: account.userId,
    });
  }

  /** Applies to the next `times` calls of the fault's operation, first in first out. */
  injectFault(fault: EmulatorFault, times = 1): void {
    this.faults.add(fault, times);
  }

  clearFaults(): void {
    this.faults.clear();
  }

  /** Every token issued so far to the account fails with 190/458, as after removing the app. */
  revokeAccount(userId: string): void {
    this.store.revokeAccount(userId);
  }

  /** Accounts and tokens as plain data, to restore() in a later process (sandbox restarts). */
  snapshot(): EmulatorSnapshot {
    return this.store.snapshot();
  }

  restore(snapshot: EmulatorSnapshot): void {
    this.store.restore(snapshot);
  }

  advanceClock(ms: number): void {
    this.store.advanceClock(ms);
  }

  resetCalls(): void {
    this.calls.length = 0;
  }

  /** For tests: the token's current state, without network. */
  inspectToken(accessToken: string): EmulatorTokenState | undefined {
    const record = this.store.findToken(accessToken);
    if (!record) {
      return undefined;
    }
    const { kind, userId, expiresAt, issuedAt, revoked } = record;
    return { kind, userId, expiresAt, issuedAt, revoked };
  }

  private route(method: string | undefined, path: string): Route | undefined {
    const store = this.store;
    const queryToken = (input: RequestInput) => input.query.get('access_token') ?? undefined;
    if (path === '/oauth/authorize' && method === 'GET') {
      return { operation: 'authorize', handle: (input) => showConsentPage(store, input.query) };
    }
    if (path === '/oauth/authorize' && method === 'POST') {
      return { operation: 'authorize', handle: (input) => submitConsent(store, input.form) };
    }
    if (path === '/oauth/access_token' && method === 'POST') {
      return {
        operation: 'exchange_code',
        handle: (input) => exchangeCode(store, input.form, this.exchangeShape),
      };
    }
    if (path === '/access_token' && method === 'GET') {
      return {
        operation: 'exchange_long_lived',
        accessToken: queryToken,
        handle: (input) => exchangeForLongLived(store, input.query),
      };
    }
    if (path === '/refresh_access_token' && method === 'GET') {
      return {
        operation: 'refresh',
        accessToken: queryToken,
        handle: (input) => refreshLongLived(store, input.query),
      };
    }
    const graph = method === 'GET' ? GRAPH_READ.exec(path) : null;
    if (graph !== null) {
      const [, version = LINK_VERSION, node, edge] = graph;
      const graphToken = (input: RequestInput) => queryToken(input) ?? input.bearerToken;
      const call = (input: RequestInput): GraphCall => ({
        store,
        query: input.query,
        accessToken: graphToken(input),
        baseUrl: this.url,
        version,
      });
      const target = this.graphTarget(node, edge);
      return {
        operation: target.operation,
        accessToken: graphToken,
        handle: (input) => target.handle(call(input)),
      };
    }
    return undefined;
  }

  /** Which read a graph path is: the user node, the media edge, a media object, its edges. */
  private graphTarget(
    node: string,
    edge: string | undefined,
  ): { operation: EmulatorOperation; handle: (call: GraphCall) => EmulatorResponse } {
    const store = this.store;
    const account = node === 'me' ? undefined : store.findAccountByAnyId(node);
    switch (edge) {
      case 'media':
        return { operation: 'media', handle: (call) => listMedia(call, node) };
      case 'children':
        return { operation: 'media_children', handle: (call) => listChildren(call, node) };
      case 'insights':
        return { operation: 'insights', handle: (call) => readInsights(call, node) };
      default:
        if (node !== 'me' && account === undefined) {
          return { operation: 'media_object', handle: (call) => readMediaObject(call, node) };
        }
        return {
          operation: 'me',
          handle: (call) => {
            // The node by id reads as /me, but only for the token's own account.
            const tokenOwner = store.findToken(call.accessToken ?? '')?.userId;
            return account !== undefined &&
              tokenOwner !== undefined &&
              tokenOwner !== account.userId
              ? noSuchObject(node)
              : readMe(store, call.query, call.accessToken);
          },
        };
    }
  }

  private async serve(request: IncomingMessage, response: ServerResponse): Promise<void> {
    const at = this.store.now();
    const url = new URL(request.url ?? '/', 'http://emulator.invalid');
    const route = this.route(request.method, url.pathname);
    if (!route) {
      request.resume();
      const message = `Unknown path components: ${url.pathname}`;
      send(response, graphError(message, { code: 2500, status: 404 }));
      return;
    }
    let input: RequestInput;
    try {
      const form =
        request.method === 'POST'
          ? parseFormBody(request.headers['content-type'], await readBody(request))
          : new URLSearchParams();
      input = { query: url.searchParams, form, bearerToken: bearerToken(request) };
    } catch {
      request.socket.destroy();
      return;
    }
    const accessToken = route.accessToken?.(input);
    const record = (status: number): void => {
      const call = { operation: route.operation, at, status };
      this.calls.push(accessToken ? { ...call, accessToken } : call);
    };

    const account =
      accessToken === undefined
        ? undefined
        : this.store.findAccount(this.store.findToken(accessToken)?.userId ?? '');
    const fault = this.faults.take(route.operation);
    const outcome = fault && faultOutcome(fault, { accountId: account?.professionalId });
    if (outcome?.kind === 'drop') {
      request.socket.destroy();
      record(0);
      return;
    }
    const delayMs = this.latencyMs + (outcome?.kind === 'delay' ? outcome.ms : 0);
    if (delayMs > 0) {
      await this.sleep(delayMs);
      if (request.socket.destroyed) {
        return;
      }
    }
    let reply: EmulatorResponse;
    if (outcome?.kind === 'respond') {
      reply = outcome.response;
    } else {
      try {
        reply = route.handle(input);
      } catch {
        reply = graphError('An unknown error has occurred.', { code: 1, status: 500 });
      }
    }
    if (route.accessToken !== undefined && this.usage !== undefined) {
      reply = { ...reply, headers: { ...usageHeaders(this.usage, account), ...reply.headers } };
    }
    send(response, reply);
    record(reply.status);
  }

  /** Resolves after ms, or at once when the emulator stops. */
  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.pendingDelays.delete(timer);
        resolve();
      }, ms);
      this.pendingDelays.set(timer, resolve);
    });
  }
}

function usageHeaders(
  usage: EmulatorUsage,
  account: EmulatorAccount | undefined,
): Record<string, string> {
  const headers: Record<string, string> = {};
  if (usage.app !== undefined) {
    headers['x-app-usage'] = appUsageHeader(usage.app);
  }
  if (usage.account !== undefined && account !== undefined) {
    headers['x-business-use-case-usage'] = accountUsageHeader(
      account.professionalId,
      usage.account,
    );
  }
  return headers;
}

function send(response: ServerResponse, reply: EmulatorResponse): void {
  response.writeHead(reply.status, {
    ...reply.headers,
    'cache-control': 'no-store',
    'content-length': Buffer.byteLength(reply.body),
  });
  response.end(reply.body);
}

function bearerToken(request: IncomingMessage): string | undefined {
  const match = /^Bearer\s+(\S+)\s*$/i.exec(request.headers.authorization ?? '');
  return match?.[1];
}

function urlHost(host: string): string {
  if (host === '0.0.0.0' || host === '::') {
    return 'localhost';
  }
  return host.includes(':') ? `[${host}]` : host;
}
