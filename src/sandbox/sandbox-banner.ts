export function sandboxBanner(input: {
  apiKey: string;
  emulatorUrl: string;
  baseUrl: string;
  embeddedDatabase: boolean;
}): string {
  const { apiKey, emulatorUrl, baseUrl } = input;
  const rule = '─'.repeat(78);
  return [
    rule,
    '  SANDBOX MODE: NOT FOR PRODUCTION. Instagram is the built-in emulator; keys are local.',
    `  Instagram emulator:  ${emulatorUrl}`,
    `  Database:            ${input.embeddedDatabase ? 'embedded PostgreSQL under .data/postgres' : 'DATABASE_URL / PGHOST'}`,
    `  API key (all scopes): ${apiKey}`,
    '',
    `  Try it:   open ${baseUrl}/auth/instagram/authorize   (press Allow)`,
    `  Then:     curl -H "Authorization: Bearer ${apiKey}" ${baseUrl}/tokens`,
    `  API docs: ${baseUrl}/docs`,
    '  Set INSTAGRAM_APP_ID (see README) to talk to the real Instagram.',
    rule,
    '',
  ].join('\n');
}
