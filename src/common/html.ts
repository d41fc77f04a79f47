import type { FastifyReply } from 'fastify';

const HTML_CONTENT_TYPE = 'text/html; charset=utf-8';

/** Pages of ours load nothing and run nothing: inline styles only. */
const PAGE_CONTENT_SECURITY_POLICY =
  "default-src 'none'; style-src 'unsafe-inline'; base-uri 'none'; form-action 'none'; frame-ancestors 'none'";

/** Answers with one of our pages (`html` from renderPage). */
export function sendPage(reply: FastifyReply, status: number, html: string): FastifyReply {
  return reply
    .status(status)
    .type(HTML_CONTENT_TYPE)
    .header('content-security-policy', PAGE_CONTENT_SECURITY_POLICY)
    .send(html);
}

export function escapeHtml(value: string): string {
  return value.replace(/[&<>"']/g, (char) => `&#${char.charCodeAt(0)};`);
}

/** Whether the client (a browser) asks for HTML before JSON. */
export function prefersHtml(accept: string | undefined): boolean {
  if (accept === undefined) {
    return false;
  }
  const html = accept.indexOf('text/html');
  const json = accept.indexOf('application/json');
  return html >= 0 && (json < 0 || html < json);
}

/** A small page for a person; `body` is HTML the caller has escaped. */
export function renderPage(title: string, body: string): string {
  return `<!DOCTYPE html>
<html lang="en">
<head>
<meta charset="utf-8">
<meta name="viewport" content="width=device-width, initial-scale=1">
<title>${escapeHtml(title)}</title>
<style>
  body { font: 16px/1.5 system-ui, sans-serif; max-width: 36rem; margin: 10vh auto; padding: 0 1rem; color: #222; }
  code { background: #f2f2f2; padding: 0 .3em; border-radius: 4px; }
</style>
</head>
<body>
<h1>${escapeHtml(title)}</h1>
${body}
</body>
</html>
`;
}
