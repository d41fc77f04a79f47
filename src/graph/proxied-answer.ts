import type { GraphAnswer, GraphLink } from '../instagram/instagram.wire.js';

/** A link of an answer, pointing back at the vault: a root-relative path and its query. */
export interface VaultLink {
  path: string;
  query: string;
}

/** A Graph answer ready for any caller: its links point at the vault. Holds no token. */
export interface ProxiedAnswer {
  parts: (string | VaultLink)[];
  /** Characters in all, to bound what a cache keeps. */
  size: number;
}

/** The account as the proxy knows it, to send Instagram's links to `me` back through `me`. */
export interface ProxiedAccount {
  igUserId: string;
  /** Every id Instagram may use for the account in a link (the key, /me's id and user_id). */
  ids: (string | null)[];
  /** The path that was asked for, e.g. `me/media`. */
  askedPath: string;
}

/**
 * Turns the links of an answer into vault links: `/graph/{igUserId}/{path}?{query}`. Instagram
 * names the account by an id in its links (`/17841.../media` after `/me/media`); those go back
 * through `me`, so the path is the one the allow-list knows.
 */
export function toProxiedAnswer(answer: GraphAnswer, account: ProxiedAccount): ProxiedAnswer {
  let size = 0;
  const parts = answer.parts.map((part) => {
    const converted = typeof part === 'string' ? part : toVaultLink(part, account);
    size +=
      typeof converted === 'string'
        ? converted.length
        : converted.path.length + converted.query.length;
    return converted;
  });
  return { parts, size };
}

function toVaultLink(link: GraphLink, account: ProxiedAccount): VaultLink {
  const [first, ...rest] = link.path.split('/');
  const asked = account.askedPath.split('/');
  const namesTheAccount =
    account.ids.includes(first) ||
    (asked[0] === 'me' && /^\d+$/.test(first) && rest.join('/') === asked.slice(1).join('/'));
  const path = namesTheAccount ? ['me', ...rest].join('/') : link.path;
  return {
    path: `/graph/${account.igUserId}/${path}`,
    query: new URLSearchParams(link.query).toString(),
  };
}

/** The JSON text for one caller: vault links made absolute on the origin it called. */
export function renderProxiedAnswer(answer: ProxiedAnswer, origin: string): string {
  return answer.parts
    .map((part) =>
      typeof part === 'string'
        ? part
        : JSON.stringify(`${origin}${part.path}${part.query === '' ? '' : `?${part.query}`}`),
    )
    .join('');
}
