/** An integer written into JSON digit for digit, beyond what a JS number holds. */
export class JsonInteger {
  constructor(readonly digits: string) {
    if (!/^-?\d+$/.test(digits)) {
      throw new Error(`not an integer: ${digits}`);
    }
  }
}

export type JsonValue =
  | string
  | number
  | boolean
  | null
  | JsonInteger
  | JsonValue[]
  | { [key: string]: JsonValue | undefined };

/** JSON.stringify, except that a JsonInteger is emitted as a bare number with all its digits. */
export function toJsonText(value: JsonValue): string {
  if (value instanceof JsonInteger) {
    return value.digits;
  }
  if (Array.isArray(value)) {
    return `[${value.map(toJsonText).join(',')}]`;
  }
  if (value !== null && typeof value === 'object') {
    const members = Object.entries(value)
      .filter((entry): entry is [string, JsonValue] => entry[1] !== undefined)
      .map(([key, member]) => `${JSON.stringify(key)}:${toJsonText(member)}`);
    return `{${members.join(',')}}`;
  }
  return JSON.stringify(value);
}
