import { AppError, ErrorCode } from '../common/app-error.js';
import { isSafeText } from '../common/safe-text.decorator.js';
import { CREDENTIAL_PARAMS, REQUEST_SHAPING_PARAMS } from '../instagram/graph-params.js';
import type { GraphPathMatch, GraphPathPatterns } from './graph-paths.js';

/** Bounds on a caller's query; Graph reads need a handful of short parameters. */
const MAX_PARAMS = 32;
const MAX_VALUE_LENGTH = 2048;
const PARAM_NAME = /^[A-Za-z0-9_]{1,64}$/;
const NAMES_A_CREDENTIAL = /access_token|appsecret/i;

export interface GraphRequest extends GraphPathMatch {
  /** The caller's query, in order, as decoded pairs. */
  query: [string, string][];
}

/**
 * Reads the Graph path and query a caller asked for from the raw request URL: the part after
 * `/graph/{igUserId}/` is decoded once and must then match an allowed pattern exactly (so an
 * encoded slash is a slash, and an encoded dot or `?` never passes). The query is passed on
 * except what carries credentials or changes the kind of request.
 */
export function readGraphRequest(rawUrl: string, patterns: GraphPathPatterns): GraphRequest {
  const queryStart = rawUrl.indexOf('?');
  const rawPath = queryStart < 0 ? rawUrl : rawUrl.slice(0, queryStart);
  const match = patterns.match(decodeOnce(rawPath.split('/').slice(3).join('/')) ?? '');
  if (match === undefined) {
    throw new AppError(
      ErrorCode.GraphPathNotAllowed,
      `The proxy forwards only these Graph paths: ${patterns.list.join(', ')} ({id} is a run of digits).`,
      { extensions: { allowedPaths: patterns.list } },
    );
  }
  const query = [...new URLSearchParams(queryStart < 0 ? '' : rawUrl.slice(queryStart + 1))];
  checkQuery(query);
  return { ...match, query };
}

function checkQuery(query: [string, string][]): void {
  if (query.length > MAX_PARAMS) {
    throw invalid(`At most ${MAX_PARAMS} query parameters are passed on.`);
  }
  for (const [name, value] of query) {
    if (CREDENTIAL_PARAMS.has(name.toLowerCase())) {
      throw invalid(
        `The vault adds the stored token itself; a request must not carry ${CREDENTIAL_PARAMS_LIST}.`,
      );
    }
    if (REQUEST_SHAPING_PARAMS.has(name.toLowerCase())) {
      throw invalid(`The proxy only reads; "${name}" would change the kind of request.`);
    }
    if (!PARAM_NAME.test(name)) {
      throw invalid('A query parameter name is not letters, digits and underscores.');
    }
    if (value.length > MAX_VALUE_LENGTH || !isSafeText(value)) {
      throw invalid(
        `The value of "${name}" is longer than ${MAX_VALUE_LENGTH} characters or holds a control character.`,
      );
    }
    if (NAMES_A_CREDENTIAL.test(value)) {
      throw invalid(`The value of "${name}" asks for a credential, which the proxy never reads.`);
    }
  }
}

const CREDENTIAL_PARAMS_LIST = [...CREDENTIAL_PARAMS].join(' or ');

function decodeOnce(value: string): string | undefined {
  try {
    return decodeURIComponent(value);
  } catch {
    return undefined;
  }
}

function invalid(detail: string): AppError {
  return new AppError(ErrorCode.ValidationFailed, detail);
}
