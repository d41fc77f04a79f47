import { escapeHtml, renderPage } from '../common/html.js';
import type { DataDeletionStatusDto } from './dto/data-deletion.dto.js';

/** The status page a person reaches from Instagram's "data deletion" link. */
export function renderDataDeletionPage(status: DataDeletionStatusDto): string {
  const done = status.status === 'completed';
  return renderPage(
    `Data deletion ${done ? 'completed' : 'in progress'}`,
    `<p>Confirmation code: <code>${escapeHtml(status.confirmationCode)}</code></p>
<p>Requested ${escapeHtml(status.requestedAt)}${status.completedAt ? `; completed ${escapeHtml(status.completedAt)}` : ''}.</p>
<p>${done ? 'Every Instagram token and profile detail we held for this account when the request was made has been deleted, and the services that relied on it were told.' : 'We are deleting the data we hold for this account.'}</p>`,
  );
}

/** The page of a deletion whose record retention has removed: it was done, and long ago. */
export function renderPrunedDeletionPage(pruned: {
  confirmationCode: string;
  requestedOn: Date;
  retentionDays: number;
}): string {
  const day = pruned.requestedOn.toISOString().slice(0, 10);
  return renderPage(
    'Data deletion completed',
    `<p>Confirmation code: <code>${escapeHtml(pruned.confirmationCode)}</code></p>
<p>This deletion was requested on ${day} and completed then: every Instagram token and profile detail we held for this account was deleted.</p>
<p>We keep the record of a completed deletion for ${pruned.retentionDays} days; this one's record has since been removed too, so no more detail is available.</p>`,
  );
}

/** The page for a code no deletion of ours ever had. */
export function renderUnknownDeletionPage(): string {
  return renderPage(
    'No such data deletion request',
    '<p>We have no data deletion request with this confirmation code. Check the link you followed.</p>',
  );
}
