import { parse } from 'lossless-json';
import { isInstagramId } from '../common/instagram-id.js';

export type JsonObject = Record<string, unknown>;

/**
 * Parses Instagram's JSON keeping every number as its decimal text: user ids exceed 2^53
 * and JSON.parse would silently change their last digits.
 */
export function parseInstagramJson(text: string): unknown {
  return parse(text, null, (digits: string) => digits);
}

export function isObject(value: unknown): value is JsonObject {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

/** An id sent as a JSON number or a string, as its exact digits; longer ones are refused. */
export function readId(value: unknown): string | undefined {
  return isInstagramId(value) ? value : undefined;
}

export function readString(value: unknown): string | undefined {
  return typeof value === 'string' && value.length > 0 ? value : undefined;
}

export function readCount(value: unknown): number | undefined {
  if (typeof value !== 'string' || !/^-?\d+(\.\d+)?$/.test(value)) {
    return undefined;
  }
  const count = Number(value);
  return Number.isFinite(count) ? count : undefined;
}

/** `permissions` comes as "a,b", as ["a","b"], or not at all. */
export function readPermissions(value: unknown): string[] | undefined {
  if (typeof value === 'string') {
    return value
      .split(',')
      .map((scope) => scope.trim())
      .filter(Boolean);
  }
  if (Array.isArray(value)) {
    return value.filter((scope): scope is string => typeof scope === 'string' && scope.length > 0);
  }
  return undefined;
}

const INSTAGRAM_TIMESTAMP =
  /^(\d{4}-\d{2}-\d{2}T\d{2}:\d{2}:\d{2}(?:\.\d{1,3})?)(Z|[+-]\d{2}:?\d{2})$/;

/** Instagram's `2026-11-20T10:00:00+0000` (no colon in the offset) as a date; undefined if unreadable. */
export function readTimestamp(value: unknown): Date | undefined {
  const match = typeof value === 'string' ? INSTAGRAM_TIMESTAMP.exec(value) : null;
  if (match === null) {
    return undefined;
  }
  const [, local, offset] = match;
  const iso = offset === 'Z' ? `${local}Z` : `${local}${offset.slice(0, 3)}:${offset.slice(-2)}`;
  const date = new Date(iso);
  return Number.isNaN(date.getTime()) ? undefined : date;
}
