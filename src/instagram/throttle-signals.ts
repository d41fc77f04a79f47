/**
 * Instagram's throttling signals, read from a response: the usage headers (X-App-Usage for the
 * whole app, X-Business-Use-Case-Usage per account, both in percent of a budget, the second with
 * `estimated_time_to_regain_access` in minutes) and Retry-After. Pure functions.
 */

type Headers = Record<string, unknown>;

/** Whom a hold stops: every call of the app, or the calls for one account. */
export type ThrottleScope = 'app' | 'account';

/** Instagram asks for this long without calls when it gives no time. */
export const DEFAULT_HOLD_SECONDS = 60;
/** No hold lasts longer, whatever a header says: a garbled one must not stop us for years. */
export const MAX_HOLD_SECONDS = 24 * 60 * 60;
/** A usage figure at or above this asks the sweep to slow down before Instagram says stop. */
export const HIGH_USAGE_PERCENT = 90;

/** The error codes Meta documents for throttling, and whom each one limits. */
const THROTTLE_CODE_SCOPES: ReadonlyMap<number, ThrottleScope> = new Map([
  [4, 'app'],
  [17, 'account'],
  [32, 'account'],
  [613, 'account'],
  [80001, 'account'],
  [80002, 'account'],
  [80004, 'account'],
  [80006, 'account'],
]);

export function isThrottleCode(code: number | undefined): boolean {
  return code !== undefined && THROTTLE_CODE_SCOPES.has(code);
}

export function throttleScope(code: number | undefined, headers: Headers): ThrottleScope {
  const byCode = code === undefined ? undefined : THROTTLE_CODE_SCOPES.get(code);
  if (byCode !== undefined) {
    return byCode;
  }
  // A bare 429: the account's own budget when its usage header says it is spent, else the app's.
  return (readUsage(headers).accountRegainSeconds ?? 0) > 0 ? 'account' : 'app';
}

/** How long Instagram asked us to wait: the longest of Retry-After and the regain estimates. */
export function throttleSeconds(headers: Headers, nowMs = Date.now()): number {
  const usage = readUsage(headers);
  const longest = Math.max(
    retryAfterSeconds(headers, nowMs) ?? 0,
    usage.accountRegainSeconds ?? 0,
    usage.appRegainSeconds ?? 0,
  );
  return longest > 0 ? Math.min(longest, MAX_HOLD_SECONDS) : DEFAULT_HOLD_SECONDS;
}

export interface UsageReport {
  /** X-App-Usage: call_count, total_time, total_cputime in percent. */
  app?: Record<string, number>;
  /** X-Business-Use-Case-Usage: the highest of each figure over its entries, in percent. */
  account?: Record<string, number>;
  appRegainSeconds?: number;
  accountRegainSeconds?: number;
}

const USAGE_FIGURES = ['call_count', 'total_time', 'total_cputime'] as const;

/** The usage headers of one response; a missing or unreadable header says nothing. */
export function readUsage(headers: Headers): UsageReport {
  const report: UsageReport = {};
  const app = parseHeader(headers['x-app-usage']);
  if (isRecord(app)) {
    report.app = figures([app]);
    const regain = numberOf(app.estimated_time_to_regain_access);
    if (regain !== undefined && regain > 0) {
      report.appRegainSeconds = regain * 60;
    }
  }
  const perAccount = parseHeader(headers['x-business-use-case-usage']);
  if (isRecord(perAccount)) {
    const entries = Object.values(perAccount)
      .flatMap((value: unknown): unknown[] => (Array.isArray(value) ? value : [value]))
      .filter(isRecord);
    if (entries.length > 0) {
      report.account = figures(entries);
      const regain = Math.max(
        0,
        ...entries.map((entry) => numberOf(entry.estimated_time_to_regain_access) ?? 0),
      );
      if (regain > 0) {
        report.accountRegainSeconds = regain * 60;
      }
    }
  }
  return report;
}

/** The highest usage figure the report holds, or undefined when it holds none. */
export function highestUsage(report: UsageReport): number | undefined {
  const all = [...Object.values(report.app ?? {}), ...Object.values(report.account ?? {})];
  return all.length === 0 ? undefined : Math.max(...all);
}

/** Retry-After as seconds or an HTTP date. */
export function retryAfterSeconds(headers: Headers, nowMs = Date.now()): number | undefined {
  const value = headers['retry-after'];
  if (typeof value !== 'string' || value.trim() === '') {
    return undefined;
  }
  if (/^\d+$/.test(value.trim())) {
    return Number(value.trim());
  }
  const at = Date.parse(value);
  return Number.isNaN(at) ? undefined : Math.max(0, Math.ceil((at - nowMs) / 1000));
}

function figures(entries: Record<string, unknown>[]): Record<string, number> {
  const result: Record<string, number> = {};
  for (const figure of USAGE_FIGURES) {
    const values = entries
      .map((entry) => numberOf(entry[figure]))
      .filter((value) => value !== undefined);
    if (values.length > 0) {
      result[figure] = Math.max(...values);
    }
  }
  return result;
}

function parseHeader(value: unknown): unknown {
  if (typeof value !== 'string' || value.length > 16_384) {
    return undefined;
  }
  try {
    return JSON.parse(value);
  } catch {
    return undefined;
  }
}

function isRecord(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function numberOf(value: unknown): number | undefined {
  const number = typeof value === 'string' ? Number(value) : value;
  return typeof number === 'number' && Number.isFinite(number) && number >= 0 ? number : undefined;
}
