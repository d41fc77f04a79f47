export interface ConsentPageInput {
  appId: string;
  redirectUri: string;
  responseType: string;
  scope: string;
  scopes: string[];
  state?: string;
  suggestedUsername: string;
  existingUsernames: string[];
}

const STYLE = `
  body { margin: 0; min-height: 100vh; display: grid; place-items: center;
    font: 15px/1.45 system-ui, -apple-system, 'Segoe UI', sans-serif;
    background: #fafafa; color: #262626; }
  main { width: min(420px, 92vw); background: #fff; border: 1px solid #dbdbdb; border-radius: 12px;
    padding: 28px 28px 20px; }
  .brand { margin: 0 0 12px; font-weight: 600; letter-spacing: .02em;
    background: linear-gradient(90deg, #f58529, #dd2a7b, #8134af); -webkit-background-clip: text;
    background-clip: text; color: transparent; }
  h1 { font-size: 18px; margin: 0 0 12px; }
  ul { padding-left: 20px; margin: 6px 0 18px; }
  code { font-size: 13px; background: #f2f2f2; padding: 1px 5px; border-radius: 4px;
    overflow-wrap: anywhere; }
  label { display: block; font-weight: 600; margin-bottom: 6px; }
  input[type=text] { box-sizing: border-box; width: 100%; padding: 9px 10px; font: inherit;
    border: 1px solid #dbdbdb; border-radius: 6px; }
  .hint, .fine { color: #737373; font-size: 13px; margin: 6px 0 18px; }
  .actions { display: flex; flex-direction: row-reverse; gap: 10px; }
  button { flex: 1; padding: 10px; font: inherit; font-weight: 600; border-radius: 8px;
    cursor: pointer; border: 1px solid #0095f6; background: #0095f6; color: #fff; }
  button[value=deny] { background: #fff; color: #262626; border-color: #dbdbdb; }
`;

/** Instagram's consent window, reduced to what a person or a plain HTTP test needs to answer it. */
export function renderConsentPage(input: ConsentPageInput): string {
  const hidden: [string, string | undefined][] = [
    ['client_id', input.appId],
    ['redirect_uri', input.redirectUri],
    ['response_type', input.responseType],
    ['scope', input.scope],
    ['state', input.state],
  ];
  const hiddenInputs = hidden
    .filter((field): field is [string, string] => field[1] !== undefined)
    .map(([name, value]) => `<input type="hidden" name="${name}" value="${escapeHtml(value)}">`)
    .join('\n        ');
  const scopeItems = input.scopes
    .map((scope) => `<li><code>${escapeHtml(scope)}</code></li>`)
    .join('');
  const accountOptions = input.existingUsernames
    .map((username) => `<option value="${escapeHtml(username)}">`)
    .join('');

  return `<!DOCTYPE html>
<html lang="en">
  <head>
    <meta charset="utf-8">
    <meta name="viewport" content="width=device-width, initial-scale=1">
    <title>Allow access? · Instagram emulator</title>
    <style>${STYLE}</style>
  </head>
  <body>
    <main>
      <p class="brand">Instagram emulator</p>
      <h1>Allow app <code>${escapeHtml(input.appId)}</code> to access your account?</h1>
      <p>It asks for:</p>
      <ul>${scopeItems}</ul>
      <form method="post" action="/oauth/authorize">
        ${hiddenInputs}
        <label for="username">Continue as</label>
        <input id="username" name="username" type="text" list="accounts" autocomplete="off"
          pattern="[A-Za-z0-9._]{1,30}" required value="${escapeHtml(input.suggestedUsername)}">
        <datalist id="accounts">${accountOptions}</datalist>
        <p class="hint">Type a new username to create that account, or pick an existing one.</p>
        <div class="actions">
          <button type="submit" name="decision" value="allow">Allow</button>
          <button type="submit" name="decision" value="deny" formnovalidate>Deny</button>
        </div>
      </form>
      <p class="fine">You will be sent back to <code>${escapeHtml(input.redirectUri)}</code></p>
    </main>
  </body>
</html>
`;
}

function escapeHtml(value: string): string {
  return value
    .replaceAll('&', '&amp;')
    .replaceAll('<', '&lt;')
    .replaceAll('>', '&gt;')
    .replaceAll('"', '&quot;')
    .replaceAll("'", '&#39;');
}
