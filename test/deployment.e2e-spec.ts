import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdtemp, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { projectRoot } from '../src/common/project-root.js';

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
    for (const name of ['INSTAGRAM_APP_ID', 'INSTAGRAM_REDIRECT_URI']) {
      expect(example).toMatch(new RegExp(`^${name}=`, 'm'));
    }
    // Secrets stay empty in the example: a copy that is not filled in cannot start.
    for (const name of [
      'POSTGRES_PASSWORD',
      'INSTAGRAM_APP_SECRET',
      'TOKEN_ENCRYPTION_KEYS',
      'API_KEYS',
      'WEBHOOK_SECRET',
    ]) {
      expect(example).toMatch(new RegExp(`^${name}=$`, 'm'));
    }
    expect(example).toContain('openssl rand -base64 32');
  });

  const compose = dockerCompose();
  (compose ? describe : describe.skip)('with docker-compose', () => {
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'vault-compose-'));
    });

    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    function config(envFile: string): { status: number | null; output: string } {
      const result = spawnSync(
        compose as string,
        ['--env-file', envFile, '-f', join(root, 'docker-compose.yml'), 'config'],
        { cwd: root, encoding: 'utf8' },
      );
      return { status: result.status, output: `${result.stdout}${result.stderr}` };
    }

    it('accepts the compose file once .env is filled in', async () => {
      const filled = read('.env.example')
        .replace(/^POSTGRES_PASSWORD=$/m, 'POSTGRES_PASSWORD=0123456789abcdef')
        .replace(/^INSTAGRAM_APP_ID=$/m, 'INSTAGRAM_APP_ID=1234567890123456')
        .replace(/^INSTAGRAM_APP_SECRET=$/m, 'INSTAGRAM_APP_SECRET=abc123')
        .replace(
          /^TOKEN_ENCRYPTION_KEYS=$/m,
          `TOKEN_ENCRYPTION_KEYS=k1:${Buffer.alloc(32).toString('base64')}`,
        )
        .replace(/^API_KEYS=$/m, 'API_KEYS=svc:0123456789abcdef0123:*');
      const envFile = join(dir, 'filled.env');
      await writeFile(envFile, filled);
      const result = config(envFile);
      expect(result).toMatchObject({ status: 0 });
      expect(result.output).toMatch(/condition: service_healthy/);
      expect(result.output).toMatch(/pg_isready/);
      expect(result.output).toMatch(
        /DATABASE_URL: postgresql:\/\/vault:0123456789abcdef@db:5432\/vault/,
      );
    });

    it('refuses to start from an unfilled copy of .env.example', () => {
      const result = config(join(root, '.env.example'));
      expect(result.status).not.toBe(0);
      expect(result.output).toMatch(/set POSTGRES_PASSWORD in \.env|set INSTAGRAM_APP_ID in \.env/);
    });
  });
});
