/**
 * The longest id the service accepts anywhere: paths, cursors, Instagram's answers. Instagram's
 * ids have 17 digits today; an id no route could address is never stored.
 */
export const MAX_ID_DIGITS = 32;
const ID = new RegExp(`^\\d{1,${MAX_ID_DIGITS}}$`);

/** An Instagram id as the service accepts it: 1 to MAX_ID_DIGITS decimal digits. */
export function isInstagramId(value: unknown): value is string {
  return typeof value === 'string' && ID.test(value);
}
