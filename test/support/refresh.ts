import type { ConnectionWithToken } from '../../src/tokens/connection.record.js';
import { RefreshLeasesRepository } from '../../src/tokens/refresh-leases.repository.js';
import { RefreshPolicy } from '../../src/tokens/refresh-policy.js';
import { RefreshSweeper, type SweepReport } from '../../src/tokens/refresh.sweeper.js';
import { TokenRefresher } from '../../src/tokens/token-refresher.js';
import type { TestApp } from './test-app.js';

/** One refresh sweep of this app, as the scheduler would run it. */
export function sweep(test: TestApp): Promise<SweepReport> {
  return test.app.get(RefreshSweeper).sweepOnce();
}

/** This app's name in refresh leases. */
export function leaseOwnerOf(test: TestApp): string {
  return test.app.get(TokenRefresher).owner;
}

/**
 * Claims due tokens as a replica's sweep would, with the lease terms given, and refreshes
 * none of them: what a replica that dies right after claiming leaves behind.
 */
export function claimDueAs(
  test: TestApp,
  owner: string,
  leaseMs: number,
  limit: number,
): Promise<ConnectionWithToken[]> {
  const due = test.app.get(RefreshPolicy).dueCutoffs(new Date());
  return test.app.get(RefreshLeasesRepository).claimDue({ owner, leaseMs }, due, limit);
}
