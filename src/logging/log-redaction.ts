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

/** The fields withheld under a parent: the secrets, and for a few parents one field more. */
const WITHHELD_UNDER: ReadonlyMap<string, readonly string[]> = new Map([
  // node-postgres hangs the client, with its connection settings, on some errors.
  ['err', [...SECRET_FIELDS, 'client']],
  ['req', [...SECRET_FIELDS, 'headers']],
  ['res', [...SECRET_FIELDS, 'headers']],
]);

/**
 * A logged object with every secret field replaced by [REDACTED]: a field named as a secret at
 * its top, under any of its object fields, and the few fields withheld under one parent. The
 * object itself is never changed; nothing is copied unless something is replaced, so the lines
 * without a secret (nearly all) cost a few lookups. Runs before pino's serializers, as a second
 * line behind them and behind the code that chooses what it logs. pino applies it to what each
 * call logs and to the root's bindings, not to a child's: the only child, a request's, binds the
 * request, which the `req` serializer reduces to an allow-list.
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

function redactChild(parentKey: string, value: unknown): unknown {
  if (typeof value !== 'object' || value === null || Array.isArray(value)) {
    return value;
  }
  let descriptors: PropertyDescriptorMap | undefined;
  for (const name of WITHHELD_UNDER.get(parentKey) ?? SECRET_FIELDS) {
    if (Object.hasOwn(value, name)) {
      descriptors ??= Object.getOwnPropertyDescriptors(value);
      descriptors[name] = { value: REDACTED, enumerable: true, writable: true, configurable: true };
    }
  }
  // A copy of the same kind, with every own property: an Error keeps its message and stack.
  return descriptors === undefined
    ? value
    : (Object.create(Object.getPrototypeOf(value) as object | null, descriptors) as unknown);
}
