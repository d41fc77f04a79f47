import { stdSerializers } from 'pino';
import { REDACTED } from '../common/redact.js';

/** Field names whose values never reach a log line, logged at the top or one level down. */
const SECRET_FIELDS: readonly string[] = [
  'accessToken',
  'access_token',
  'token',
  'code',
  'state',
  'secret',
  'appSecret',
  'client_secret',
  'authorization',
  'signed_request',
];
const SECRET_FIELD_SET: ReadonlySet<string> = new Set(SECRET_FIELDS);

// node-postgres hangs the client, with its connection settings, on some errors.
const WITHHELD_FROM_ERRORS: readonly string[] = [...SECRET_FIELDS, 'client'];
const WITHHELD_FROM_MESSAGES: readonly string[] = [...SECRET_FIELDS, 'headers'];

/** The fields withheld under a parent: the secrets, and for a few parents one field more. */
const WITHHELD_UNDER: ReadonlyMap<string, readonly string[]> = new Map([
  ['err', WITHHELD_FROM_ERRORS],
  ['req', WITHHELD_FROM_MESSAGES],
  ['res', WITHHELD_FROM_MESSAGES],
]);

/**
 * A logged object with every secret field replaced by [REDACTED]: a field named as a secret at
 * its top, under any of its object fields, and the few fields withheld under one parent. The
 * object itself is never changed; nothing is copied unless something is replaced, so the lines
 * without a secret (nearly all) cost a few lookups. pino runs it (`formatters.log`) on what each
 * call logs, before the serializers, as a second line behind them and behind the code that
 * chooses what it logs. An error under `err` is left to `serializeError`; one under another key
 * is serialized here the same way.
 */
export function redactSecrets<T extends object>(fields: T): T {
  let copy: Record<string, unknown> | undefined;
  const source = fields as Record<string, unknown>;
  for (const key in source) {
    if (!Object.hasOwn(source, key)) {
      continue;
    }
    const value = source[key];
    const safe = SECRET_FIELD_SET.has(key) ? REDACTED : redactChild(key, value);
    if (safe !== value) {
      copy ??= { ...source };
      copy[key] = safe;
    }
  }
  return (copy as T | undefined) ?? fields;
}

/**
 * pino's error serializer (type, message, stack, cause and the error's own fields), then its
 * secret fields and node-postgres' client replaced. The error itself is not copied: on Node 22+
 * `stack` is an accessor that answers only on a real error.
 */
export function serializeError(error: unknown): unknown {
  const serialized: unknown = stdSerializers.err(error as Error);
  return withheld(serialized, WITHHELD_FROM_ERRORS);
}

function redactChild(parentKey: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return value;
  }
  if (value instanceof Error) {
    return parentKey === 'err' ? value : serializeError(value);
  }
  return withheld(value, WITHHELD_UNDER.get(parentKey) ?? SECRET_FIELDS);
}

/**
 * `value` with these fields replaced, as a plain copy of its own enumerable fields (what
 * JSON.stringify writes of it) when one is there.
 */
function withheld(value: unknown, names: readonly string[]): unknown {
  if (typeof value !== 'object' || value === null) {
    return value;
  }
  let copy: Record<string, unknown> | undefined;
  for (const name of names) {
    if (Object.hasOwn(value, name)) {
      copy ??= { ...value };
      copy[name] = REDACTED;
    }
  }
  return copy ?? value;
}
