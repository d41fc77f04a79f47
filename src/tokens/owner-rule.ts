/**
 * A consent never moves a connection to another owner: one connected under a non-empty
 * ownerId refuses a flow for another. A flow without an owner keeps the owner there is, and
 * one for the same owner, or for a connection without one, goes ahead.
 */
export function consentWouldMoveOwner(
  currentOwnerId: string | null,
  requestedOwnerId: string | undefined,
): boolean {
  return (
    currentOwnerId !== null &&
    currentOwnerId !== '' &&
    requestedOwnerId !== undefined &&
    requestedOwnerId !== currentOwnerId
  );
}
