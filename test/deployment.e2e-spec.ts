import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { mkdir, mkdtemp, readdir, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join, relative } from 'node:path';
import { projectRoot } from '../src/common/project-root.js';

const root = projectRoot();
const read = (file: string): string => readFileSync(join(root, file), 'utf8');

/** Every variable of the contract, which compose must pass through from .env. */
const CONTRACT_VARIABLES = [
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
  'INSTAGRAM_MEDIA_FIELDS',
  'GRAPH_PROXY_PATHS',
  'INSTAGRAM_TIMEOUT_MS',
  'TOKEN_ENCRYPTION_KEYS',
  'API_KEYS',
  'AUTH_RETURN_TO_ORIGINS',
  'METRICS_PORT',
  'DATABASE_POOL_SIZE',
  'DATABASE_TIMEOUT_MS',
  'REPLICA_ID',
  'USERS_CACHE_TTL_MS',
  'HTTP_REQUEST_TIMEOUT_MS',
  'AUDIT_RETENTION_DAYS',
];

/** Characters that break a connection URL: compose must never paste the password into one. */
const URL_HOSTILE_PASSWORD = 'pw@with:all/the#url%chars?';

function onPath(command: string): string | undefined {
  for (const dir of (process.env.PATH ?? '').split(':')) {
    if (existsSync(join(dir, command))) {
      return join(dir, command);
    }
  }
  return undefined;
}

/** The stages of a Dockerfile, by the name after AS (or their index). */
function stages(dockerfile: string): Map<string, string> {
  const parts = dockerfile.split(/^(?=FROM )/m).filter((part) => part.startsWith('FROM '));
  return new Map(parts.map((part, index) => [/ AS (\S+)/.exec(part)?.[1] ?? String(index), part]));
}

describe('the Dockerfile', () => {
  const dockerfile = read('Dockerfile');
  const packageJson = JSON.parse(read('package.json')) as {
    scripts: Record<string, string>;
    engines: { node: string };
  };
  const byName = stages(dockerfile);
  const runtime = [...byName.values()].at(-1) as string;

  it('builds on one pinned Node 24 LTS minor that the engines range accepts', () => {
    const tags = [...dockerfile.matchAll(/^FROM (node:\S+)/gm)].map((match) => match[1]);
    expect(tags.length).toBeGreaterThan(0);
    expect(new Set(tags).size).toBe(1);
    const [, major, minor] = /^node:(\d+)\.(\d+)-bookworm-slim$/.exec(tags[0]) ?? [];
    expect(Number(major)).toBe(24);
    const [, minMajor, minMinor] = /^>=(\d+)\.(\d+)\.\d+$/.exec(packageJson.engines.node) ?? [];
    expect(Number(major)).toBe(Number(minMajor));
    expect(Number(minor)).toBeGreaterThanOrEqual(Number(minMinor));
  });

  it('builds with the commands CI runs, keeps production dependencies only, and slims them', () => {
    const build = byName.get('build') as string;
    expect(build).toMatch(/^RUN npm ci\b/m);
    expect(build).toMatch(/^RUN npm run build\b/m);
    expect(build).toMatch(/npm prune --omit=dev --omit=optional/);
    expect(build).toMatch(/node scripts\/slim-runtime\.mjs/);
  });

  it('runs as start:prod does, unprivileged, health-checked, from one layer without npm', () => {
    expect(runtime).toMatch(/^FROM scratch AS runtime$/m);
    expect(runtime).toMatch(/^COPY --from=\S+ \/ \/$/m);
    expect(byName.get('runtime-files')).toMatch(/rm -rf \/usr\/local\/lib\/node_modules /);
    expect(runtime).toMatch(/^USER node$/m);
    expect(runtime).toMatch(/^HEALTHCHECK .*\/health\/ready/ms);
    expect(runtime).toMatch(/EMBEDDED_DATABASE=false/);
    const cmd = /^CMD \[(.*)\]$/m.exec(runtime)?.[1];
    const command = (JSON.parse(`[${cmd}]`) as string[]).join(' ');
    expect(command).toBe(packageJson.scripts['start:prod']);
  });
});

describe('scripts/slim-runtime.mjs (the image build stage)', () => {
  let dir: string;

  beforeEach(async () => {
    dir = await mkdtemp(join(tmpdir(), 'vault-slim-'));
    const files: Record<string, string> = {
      'node_modules/pkg/index.js': 'module.exports = 1;',
      'node_modules/pkg/index.js.map': '{}',
      'node_modules/pkg/index.d.ts': 'export {};',
      'node_modules/pkg/src/index.ts': 'export {};',
      'node_modules/pkg/README.md': '# pkg',
      'node_modules/pkg/LICENSE.md': 'MIT',
      'node_modules/@types/pkg/index.d.ts': 'export {};',
      'node_modules/@prisma/client/runtime/client.js': '',
      'node_modules/@prisma/client/runtime/query_compiler_fast_bg.postgresql.mjs': '',
      'node_modules/@prisma/client/runtime/query_compiler_fast_bg.postgresql.wasm-base64.mjs': '',
      'node_modules/@prisma/client/runtime/query_compiler_fast_bg.mysql.mjs': '',
      'node_modules/@prisma/client/runtime/query_compiler_small_bg.postgresql.mjs': '',
      'node_modules/rxjs/package.json': JSON.stringify({
        exports: { '.': { node: './dist/cjs/index.js', default: './dist/esm5/index.js' } },
      }),
      'node_modules/rxjs/dist/cjs/index.js': '',
      'node_modules/rxjs/dist/esm5/index.js': '',
      'dist/main.js': '',
      'dist/main.js.map': '{}',
      'dist/.tsbuildinfo': '{}',
      'dist/generated/prisma/internal/class.js': [
        'getRuntime: async () => await import("@prisma/client/runtime/query_compiler_fast_bg.postgresql.mjs"),',
        'const { wasm } = await import("@prisma/client/runtime/query_compiler_fast_bg.postgresql.wasm-base64.mjs");',
      ].join('\n'),
    };
    for (const [file, content] of Object.entries(files)) {
      await mkdir(join(dir, file, '..'), { recursive: true });
      await writeFile(join(dir, file), content);
    }
  });

  afterEach(async () => {
    await rm(dir, { recursive: true, force: true });
  });

  async function remaining(): Promise<string[]> {
    const entries = await readdir(dir, { recursive: true, withFileTypes: true });
    return entries
      .filter((entry) => entry.isFile())
      .map((entry) => relative(dir, join(entry.parentPath, entry.name)))
      .sort();
  }

  function slim(): { status: number | null; output: string } {
    const result = spawnSync(process.execPath, [join(root, 'scripts/slim-runtime.mjs'), dir], {
      encoding: 'utf8',
    });
    return { status: result.status, output: `${result.stdout}${result.stderr}` };
  }

  it('keeps what the runtime loads and licences, and removes the rest', async () => {
    expect(slim().status).toBe(0);
    expect(await remaining()).toEqual([
      'dist/generated/prisma/internal/class.js',
      'dist/main.js',
      'node_modules/@prisma/client/runtime/client.js',
      'node_modules/@prisma/client/runtime/query_compiler_fast_bg.postgresql.mjs',
      'node_modules/@prisma/client/runtime/query_compiler_fast_bg.postgresql.wasm-base64.mjs',
      'node_modules/pkg/LICENSE.md',
      'node_modules/pkg/index.js',
      'node_modules/rxjs/dist/cjs/index.js',
      'node_modules/rxjs/package.json',
    ]);
  });

  it('stops the build, deleting nothing, when the generated client imports no query compiler', async () => {
    await rm(join(dir, 'dist/generated'), { recursive: true });
    const before = await remaining();
    const result = slim();
    expect(result.status).toBe(1);
    expect(result.output).toMatch(/imports no query compiler/);
    expect(await remaining()).toEqual(before);
  });
});

describe('docker-compose.yml and .env.example', () => {
  const compose = read('docker-compose.yml');
  const example = read('.env.example');

  it('passes every contract variable from .env to the service', () => {
    for (const name of CONTRACT_VARIABLES) {
      expect({
        name,
        passed: new RegExp(`^\\s+${name}: \\$\\{${name}:-`, 'm').test(compose),
      }).toEqual({
        name,
        passed: true,
      });
    }
  });

  it('documents production mode with its secrets left empty, so an unfilled copy runs the sandbox', () => {
    expect(example).toMatch(/^INSTAGRAM_APP_ID=$/m);
    expect(example).toMatch(/^INSTAGRAM_REDIRECT_URI=/m);
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

  const dockerCompose = onPath('docker-compose');
  (dockerCompose ? describe : describe.skip)('as docker-compose reads it', () => {
    let dir: string;

    beforeAll(async () => {
      dir = await mkdtemp(join(tmpdir(), 'vault-compose-'));
    });

    afterAll(async () => {
      await rm(dir, { recursive: true, force: true });
    });

    /** `docker-compose config` with only this env file: none of the test run's environment. */
    async function config(envFile: string): Promise<string> {
      const file = join(dir, 'test.env');
      await writeFile(file, envFile);
      const result = spawnSync(
        dockerCompose as string,
        ['--env-file', file, '-f', join(root, 'docker-compose.yml'), 'config'],
        { cwd: root, encoding: 'utf8', env: { PATH: process.env.PATH ?? '' } },
      );
      expect({ status: result.status, stderr: result.stderr }).toMatchObject({ status: 0 });
      return result.stdout;
    }

    function service(output: string, name: string): string {
      const start = output.indexOf(`\n  ${name}:\n`);
      const end = output.slice(start + 1).search(/\n {2}\S|\n\S/);
      return output.slice(start, end < 0 ? undefined : start + 1 + end);
    }

    it('with no .env: the sandbox, published on 127.0.0.1 only, its browser URLs on those ports', async () => {
      const output = await config('');
      const vault = service(output, 'vault');
      const db = service(output, 'db');
      expect(vault).toMatch(/INSTAGRAM_APP_ID: ''/);
      expect([...vault.matchAll(/^ {4}- (\S+)$/gm)].map((match) => match[1])).toEqual(
        expect.arrayContaining(['127.0.0.1:3000:3000/tcp', '127.0.0.1:4100:4100/tcp']),
      );
      expect(vault).not.toMatch(/^ {4}- (0\.0\.0\.0:)?\d+:\d+/m);
      expect(vault).toMatch(/SANDBOX_PUBLIC_URL: http:\/\/127\.0\.0\.1:3000$/m);
      expect(vault).toMatch(/SANDBOX_EMULATOR_PUBLIC_URL: http:\/\/127\.0\.0\.1:4100$/m);
      expect(vault).toMatch(/vault-data:\/app\/\.data/);
      // /metrics has a port of its own, and it is not published.
      expect(vault).toMatch(/METRICS_PORT: '9464'/);
      expect(vault).not.toMatch(/9464\/tcp/);
      expect(db).not.toMatch(/ports:/);
      expect(db).toMatch(/pg_isready\n\s+- -h\n\s+- 127\.0\.0\.1/);
      expect(vault).toMatch(/condition: service_healthy/);
    });

    it('moves the browser URLs with the host ports set in .env', async () => {
      const vault = service(await config('PORT=8080\nSANDBOX_EMULATOR_PORT=8041\n'), 'vault');
      expect(vault).toMatch(/127\.0\.0\.1:8080:3000\/tcp/);
      expect(vault).toMatch(/SANDBOX_PUBLIC_URL: http:\/\/127\.0\.0\.1:8080$/m);
      expect(vault).toMatch(/SANDBOX_EMULATOR_PUBLIC_URL: http:\/\/127\.0\.0\.1:8041$/m);
    });

    it('with a filled .env: production mode, the password passed as PG* and never in a URL', async () => {
      const filled = example
        .replace(/^POSTGRES_PASSWORD=$/m, `POSTGRES_PASSWORD=${URL_HOSTILE_PASSWORD}`)
        .replace(/^INSTAGRAM_APP_ID=$/m, 'INSTAGRAM_APP_ID=1234567890123456')
        .replace(/^INSTAGRAM_APP_SECRET=$/m, 'INSTAGRAM_APP_SECRET=abc123')
        .replace(
          /^TOKEN_ENCRYPTION_KEYS=$/m,
          `TOKEN_ENCRYPTION_KEYS=k1:${Buffer.alloc(32).toString('base64')}`,
        )
        .replace(/^API_KEYS=$/m, 'API_KEYS=svc:0123456789abcdef0123:*');
      const output = await config(filled);
      const vault = service(output, 'vault');
      expect(vault).toMatch(/INSTAGRAM_APP_ID: '1234567890123456'/);
      expect(vault).toMatch(/PGHOST: db$/m);
      const passwords = output
        .split('\n')
        .filter((line) => line.includes(URL_HOSTILE_PASSWORD))
        .map((line) => line.trim().split(':')[0]);
      expect(passwords.sort()).toEqual(['PGPASSWORD', 'POSTGRES_PASSWORD']);
      expect(output).not.toMatch(/postgres(ql)?:\/\//);
    });
  });
});

describe('the image build context', () => {
  it('holds everything the Dockerfile copies and nothing the image never needs', () => {
    const ignored = read('.dockerignore')
      .split('\n')
      .filter((line) => line && !line.startsWith('#'));
    for (const entry of ['node_modules', 'dist', '.data', '.env', 'test', '.git']) {
      expect(ignored).toContain(entry);
    }
    for (const [, sources] of read('Dockerfile').matchAll(/^COPY (?!--from)(.+) \S+$/gm)) {
      for (const path of sources.split(' ')) {
        const excluded = ignored.some((entry) => path === entry || path.startsWith(`${entry}/`));
        expect({ path, exists: existsSync(join(root, path)), excluded }).toEqual({
          path,
          exists: true,
          excluded: false,
        });
      }
    }
  });
});
