import { AuditRetention } from '../src/retention/audit-retention.js';
import { expectProblem } from './support/assertions.js';
import { ageRevealAudit, revealAudit } from './support/connections.js';
import {
  ageDeletionRequest,
  countProcessedSignedRequests,
  expireProcessedSignedRequests,
  signedRequestFor,
  storedDeletionCodes,
} from './support/meta.js';
import { connectAccount } from './support/oauth.js';
import { startTestApp, useTestApp } from './support/test-app.js';
import { revealToken } from './support/vault-api.js';

const DATA_DELETION = '/auth/instagram/data-deletion';
const BROWSER_ACCEPT = 'text/html,application/xhtml+xml;q=0.9,*/*;q=0.8';

describe('audit retention (AUDIT_RETENTION_DAYS=30)', () => {
  const test = useTestApp({ AUDIT_RETENTION_DAYS: '30' });

  async function requestDeletion(userId: string): Promise<string> {
    const response = await test.http
      .post(DATA_DELETION)
      .type('form')
      .send({ signed_request: signedRequestFor(userId, test.appSecret) })
      .expect(200);
    return response.body.confirmation_code as string;
  }

  async function reveals(igUserId: string): Promise<number> {
    return (await revealAudit(test, igUserId)).length;
  }

  it('prunes reveal rows and completed deletion requests older than the retention, and only those', async () => {
    const { igUserId } = await connectAccount(test);
    await revealToken(test, igUserId);
    await revealToken(test, igUserId);
    const oldCode = await requestDeletion('17841400000000101');
    const recentCode = await requestDeletion('17841400000000102');
    await ageRevealAudit(test, igUserId, 31, 1);
    await ageDeletionRequest(test, oldCode, 31);
    await ageDeletionRequest(test, recentCode, 29);

    const report = await test.app.get(AuditRetention).pruneOnce();

    expect(report).toMatchObject({ reveals: 1, deletionRequests: 1 });
    expect(await reveals(igUserId)).toBe(1);
    expect(await storedDeletionCodes(test, [oldCode, recentCode])).toEqual([recentCode]);
    expect(test.logs.join('\n')).toContain('audit records pruned');
  });

  it('says plainly on the status page that a pruned deletion was done and its record removed', async () => {
    const code = await requestDeletion('17841400000000103');
    await ageDeletionRequest(test, code, 40);
    await test.app.get(AuditRetention).pruneOnce();

    const json = await test.http.get(`${DATA_DELETION}/${code}`);
    const page = await test.http.get(`${DATA_DELETION}/${code}`).set('Accept', BROWSER_ACCEPT);

    expectProblem(json, 410, 'deletion_record_pruned');
    expect(json.body.detail).toMatch(/completed; its record was removed after 30 days/);
    expect(page.status).toBe(410);
    expect(page.headers['content-type']).toMatch(/^text\/html/);
    expect(page.text).toContain(code);
    expect(page.text).toMatch(/completed/);
    expect(page.text).toMatch(/record of a completed deletion for 30 days/);
  });

  it('still answers 404 to a code it never issued', async () => {
    const json = await test.http.get(`${DATA_DELETION}/AAAAAAAAAAAAAAAAAAAAAAAA`);
    const page = await test.http
      .get(`${DATA_DELETION}/AAAAAAAAAAAAAAAAAAAAAAAA`)
      .set('Accept', BROWSER_ACCEPT);

    expectProblem(json, 404, 'deletion_request_not_found');
    expect(page.status).toBe(404);
    expect(page.text).toMatch(/no data deletion request with this confirmation code/);
  });

  it('prunes safely from two replicas at once', async () => {
    const { igUserId } = await connectAccount(test);
    for (let reveal = 0; reveal < 6; reveal++) {
      await revealToken(test, igUserId);
    }
    await ageRevealAudit(test, igUserId, 45);
    const replica = await startTestApp({ AUDIT_RETENTION_DAYS: '30' }, { peer: test });
    try {
      const reports = await Promise.all([
        test.app.get(AuditRetention).pruneOnce(),
        replica.app.get(AuditRetention).pruneOnce(),
      ]);

      expect(reports[0].reveals + reports[1].reveals).toBe(6);
      expect(await reveals(igUserId)).toBe(0);
    } finally {
      await replica.close();
    }
  });

  it('forgets processed Meta requests once their signature has expired', async () => {
    await requestDeletion('17841400000000104');
    await expireProcessedSignedRequests(test);

    const report = await test.app.get(AuditRetention).pruneOnce();

    expect(report.signedRequests).toBeGreaterThanOrEqual(1);
    expect(await countProcessedSignedRequests(test)).toBe(0);
  });

  it('keeps the reveal audit readable for what is within the retention', async () => {
    const { igUserId } = await connectAccount(test);
    await revealToken(test, igUserId);

    await test.app.get(AuditRetention).pruneOnce();

    expect(await reveals(igUserId)).toBe(1);
  });
});
