/**
 * Exponential back-off with jitter: base * 2^(attempt-1), capped, then scaled by a random
 * factor in [0.5, 1) so replicas that failed together do not retry together.
 */
export function backoffDelayMs(
  attempt: number,
  baseMs: number,
  capMs: number,
  random: () => number = Math.random,
): number {
  const exponential = Math.min(capMs, baseMs * 2 ** Math.max(0, attempt - 1));
  return Math.round(exponential * (0.5 + random() / 2));
}
