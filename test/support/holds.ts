import type { TestApp } from './test-app.js';

/** The rate-limit holds every replica reads, as stored. */
export function storedHolds(test: TestApp): Promise<{ scope: string; reason: string }[]> {
  return test.sql('SELECT scope, reason FROM instagram_rate_limit_holds ORDER BY scope');
}
