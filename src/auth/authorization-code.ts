/** Codes copied from the redirect carry Instagram's `#_` suffix, which is not part of the code. */
export function cleanAuthorizationCode(code: string): string {
  return code.trim().replace(/#_?$/, '');
}
