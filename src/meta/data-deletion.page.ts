import type { DataDeletionStatusDto } from './dto/data-deletion.dto.js';

const escape = (value: string): string =>
  value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);

/** The status page a person reaches from Instagram's "data deletion" link. */
export function renderDataDeletionPage(status: DataDeletionStatusDto): string {
  const done = status.status === 'completed';
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>Data deletion ${done ? 'completed' : 'in progress'}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 10vh auto; padding: 0 1rem; color: #222; }
  code { background: #f2f2f2; padding: 0 .3em; border-radius: 4px; }
</style>
</head>
<body>
<h1>Data deletion ${done ? 'completed' : 'in progress'}</h1>
<p>Confirmation code: <code>${escape(status.confirmationCode)}</code></p>
<p>Requested ${escape(status.requestedAt)}${status.completedAt ? `; completed ${escape(status.completedAt)}` : ''}.</p>
<p>${done ? 'Every Instagram token and profile detail we held for this account has been deleted, and the services that relied on it were told.' : 'We are deleting the data we hold for this account.'}</p>
</body>
</html>
`;
}
