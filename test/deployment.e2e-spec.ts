import { execFileSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { projectRoot } from '../src/database/migration-files.js';

const root = projectRoot();
const read = (file: string): string => readFileSync(join(root, file), 'utf8');

/** Every variable of the contract, which compose must pass through from .env. */
const CONTRACT_VARIABLES = [
  'PORT',
  'HOST',
  'DATABASE_URL',
  'MIGRATE_ON_START',
  'INSTAGRAM_APP_ID',
  'INSTAGRAM_APP_SECRET',
  'INSTAGRAM_REDIRECT_URI',
  'INSTAGRAM_SCOPES',
  'INSTAGRAM_AUTHORIZE_URL',
  'INSTAGRAM_API_URL',
  'INSTAGRAM_GRAPH_URL',
  'INSTAGRAM_GRAPH_VERSION',
  'INSTAGRAM_USER_FIELDS',
  'INSTAGRAM_TIMEOUT_MS',
  'TOKEN_ENCRYPTION_KEYS',
  'API_KEYS',
  'AUTH_RETURN_TO_ORIGINS',
];

function dockerCompose(): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (existsSync(join(dir, 'docker-compose'))) {
      return join(dir, 'docker-compose');
    }
  }
  return undefined;
}

describe('deployment files', () => {
  const dockerfile = read('Dockerfile');
  const scripts = (JSON.parse(read('package.json')) as { scripts: Record<string, string> }).scripts;

  it('builds the image with the commands CI runs and starts it as start:prod does', () => {
    expect(dockerfile).toMatch(/^RUN npm ci\b/m);
    expect(dockerfile).toMatch(/^RUN npm run build\b/m);
    expect(dockerfile).toMatch(/npm prune --omit=dev/);
    const cmd = /^CMD \[(.*)\]$/m.exec(dockerfile)?.[1];
    const command = (JSON.parse(`[${cmd}]`) as string[]).join(' ');
    expect(command).toBe(scripts['start:prod']);
  });

  it('runs as an unprivileged user and checks readiness', () => {
    const runtimeStage = dockerfile.slice(dockerfile.lastIndexOf('FROM '));
    expect(runtimeStage).toMatch(/^USER node$/m);
    expect(runtimeStage).toMatch(/^HEALTHCHECK .*\/health\/ready/ms);
  });

  it('passes every contract variable from .env to the service', () => {
    const compose = read('docker-compose.yml');
    for (const name of CONTRACT_VARIABLES) {
      expect({ name, passed: new RegExp(`^\\s+${name}:`, 'm').test(compose) }).toEqual({
        name,
        passed: true,
      });
    }
    const example = read('.env.example');
    for (const name of [
      'POSTGRES_PASSWORD',
      'INSTAGRAM_APP_ID',
      'INSTAGRAM_APP_SECRET',
      'INSTAGRAM_REDIRECT_URI',
      'TOKEN_ENCRYPTION_KEYS',
      'API_KEYS',
    ]) {
      expect(example).toMatch(new RegExp(`^${name}=`, 'm'));
    }
    expect(example).toContain('openssl rand -base64 32');
  });

  const compose = dockerCompose();
  (compose ? it : it.skip)('has a compose file docker-compose accepts', () => {
    const output = execFileSync(
      compose as string,
      ['--env-file', '.env.example', '-f', 'docker-compose.yml', 'config'],
      { cwd: root, encoding: 'utf8' },
    );
    expect(output).toMatch(/condition: service_healthy/);
    expect(output).toMatch(/pg_isready/);
  });
});
