/** One string literal of a JSON text: where it is, what it says, and whether it names a member. */
export interface JsonString {
  /** Offset of the opening quote. */
  start: number;
  /** Offset just past the closing quote. */
  end: number;
  value: string;
  isKey: boolean;
}

const QUOTE = 0x22;
const BACKSLASH = 0x5c;

/**
 * Every string literal of a JSON text, in order, with its span and decoded value: what lets a
 * caller change one value without touching a byte of the rest (numbers keep every digit,
 * escapes stay as Instagram wrote them). The text must be valid JSON; this does not check it.
 */
export function jsonStrings(text: string): JsonString[] {
  const strings: JsonString[] = [];
  let index = 0;
  while (index < text.length) {
    if (text.charCodeAt(index) !== QUOTE) {
      index += 1;
      continue;
    }
    const start = index;
    index += 1;
    while (index < text.length && text.charCodeAt(index) !== QUOTE) {
      index += text.charCodeAt(index) === BACKSLASH ? 2 : 1;
    }
    const end = index + 1;
    index = end;
    let after = end;
    while (after < text.length && /\s/.test(text[after])) {
      after += 1;
    }
    strings.push({
      start,
      end,
      value: JSON.parse(text.slice(start, end)) as string,
      isKey: text[after] === ':',
    });
  }
  return strings;
}
