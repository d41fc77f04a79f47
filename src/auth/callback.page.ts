import { ErrorCode } from '../common/app-error.js';
import { escapeHtml, renderPage } from '../common/html.js';

const FAILURE_WORDS: Partial<Record<ErrorCode, string>> = {
  [ErrorCode.AccessDenied]:
    'You chose not to connect your Instagram account, so nothing was connected.',
  [ErrorCode.InvalidState]:
    'This sign-in link has expired or was already used. Please start again from the app that sent you here.',
  [ErrorCode.OwnerConflict]:
    'This Instagram account is already connected elsewhere with us, so nothing was changed. To connect it here, it must first be disconnected there.',
  [ErrorCode.ValidationFailed]:
    "Instagram's answer was incomplete, so nothing was connected. Please start again from the app that sent you here.",
};

const INSTAGRAM_FAILURE =
  'Instagram did not complete the connection, so nothing was connected. Please try again in a few minutes.';
const OUR_FAILURE =
  'Something went wrong on our side, so nothing was connected. Please try again later.';

/**
 * The end of a browser flow that has no return URL. It names the account, never a token, an
 * owner or any other id of ours.
 */
export function renderConnectedPage(account: {
  username: string | null;
  igUserId: string;
}): string {
  const name =
    account.username !== null ? `@${account.username}` : `the account ${account.igUserId}`;
  return renderPage(
    'Instagram connected',
    `<p>Connected as <strong>${escapeHtml(name)}</strong>. You can close this window.</p>`,
  );
}

export function renderNotConnectedPage(code: ErrorCode): string {
  const words =
    FAILURE_WORDS[code] ?? (code.startsWith('instagram_') ? INSTAGRAM_FAILURE : OUR_FAILURE);
  return renderPage('Instagram not connected', `<p>${escapeHtml(words)}</p>`);
}
