import createClient, { type Client } from 'openapi-fetch';
import type { components, paths } from './schema.js';

export type { components, paths };
export type Connection = components['schemas']['ConnectionDto'];
export type InstagramUser = components['schemas']['InstagramUserDto'];
export type Media = components['schemas']['MediaDto'];
export type MediaDetail = components['schemas']['MediaDetailDto'];
export type MediaPage = components['schemas']['MediaPageDto'];
export type Problem = components['schemas']['ProblemDto'];

export interface VaultClientOptions {
  /** The vault's base URL, e.g. https://instagram-vault.internal */
  baseUrl: string;
  /** A secret from the vault's API_KEYS. */
  apiKey: string;
  /** A fetch to use instead of the global one. */
  fetch?: typeof fetch;
}

export type VaultClient = Client<paths>;

/** A typed client for the Instagram token vault, generated from its openapi.json. */
export function createVaultClient(options: VaultClientOptions): VaultClient {
  return createClient<paths>({
    baseUrl: options.baseUrl,
    headers: { Authorization: `Bearer ${options.apiKey}` },
    fetch: options.fetch,
  });
}
