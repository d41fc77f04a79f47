// Deletes what the production build never loads, so the image ships only what runs. Used by the
// Dockerfile's build stage after `npm prune --omit=dev`; usage: node scripts/slim-runtime.mjs [dir]
//   - everywhere in node_modules: source maps, TypeScript sources and declarations (Node never
//     loads .ts from node_modules), Markdown docs (licence texts stay), the @types packages;
//   - @prisma/client's query compilers for the databases and builds the generated client does not
//     import (it ships ten, about 4 MB each; we use one);
//   - rxjs's browser builds: its exports map sends Node to dist/cjs whatever the importer;
//   - the build's own source maps and incremental-build state.
import { existsSync, lstatSync, readdirSync, readFileSync, rmSync } from 'node:fs';
import { join, resolve } from 'node:path';

const root = resolve(process.argv[2] ?? '.');
const modules = join(root, 'node_modules');
const dist = join(root, 'dist');
const NEVER_LOADED = /\.(map|[cm]?ts|md|markdown)$/i;
const LICENCE = /^(licen[cs]e|notice|copying)/i;

let files = 0;
let bytes = 0;

function sizeOf(path) {
  const stat = lstatSync(path);
  if (!stat.isDirectory()) {
    return stat.size;
  }
  return readdirSync(path).reduce((sum, name) => sum + sizeOf(join(path, name)), 0);
}

function remove(path) {
  if (!existsSync(path)) {
    return;
  }
  bytes += sizeOf(path);
  files += 1;
  rmSync(path, { recursive: true, force: true });
}

function* filesUnder(dir) {
  for (const entry of readdirSync(dir, { withFileTypes: true })) {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) {
      yield* filesUnder(path);
    } else if (entry.isFile()) {
      yield { path, name: entry.name };
    }
  }
}

/** The runtime files the generated Prisma client imports, e.g. query_compiler_fast_bg.postgresql.mjs. */
function prismaRuntimeImports() {
  const used = new Set();
  const generated = join(dist, 'generated');
  for (const { path, name } of existsSync(generated) ? filesUnder(generated) : []) {
    if (name.endsWith('.js')) {
      for (const match of readFileSync(path, 'utf8').matchAll(
        /@prisma\/client\/runtime\/(query_compiler_[\w.-]+)/g,
      )) {
        used.add(match[1]);
      }
    }
  }
  return used;
}

// Decided before anything is deleted: a layout this script does not know stops the build.
const compilers = prismaRuntimeImports();
if (compilers.size === 0) {
  console.error(
    'slim-runtime: the generated Prisma client imports no query compiler; check dist/generated',
  );
  process.exit(1);
}

for (const { path, name } of filesUnder(modules)) {
  if (NEVER_LOADED.test(name) && !LICENCE.test(name)) {
    remove(path);
  }
}
remove(join(modules, '@types'));

const prismaRuntime = join(modules, '@prisma', 'client', 'runtime');
for (const name of existsSync(prismaRuntime) ? readdirSync(prismaRuntime) : []) {
  if (name.startsWith('query_compiler_') && !compilers.has(name)) {
    remove(join(prismaRuntime, name));
  }
}

const rxjs = join(modules, 'rxjs');
if (existsSync(join(rxjs, 'package.json'))) {
  const exports = JSON.parse(readFileSync(join(rxjs, 'package.json'), 'utf8')).exports ?? {};
  if (exports['.']?.node === './dist/cjs/index.js') {
    for (const build of ['dist/esm', 'dist/esm5', 'dist/bundles', 'src']) {
      remove(join(rxjs, build));
    }
  }
}

for (const { path, name } of existsSync(dist) ? filesUnder(dist) : []) {
  if (name.endsWith('.map') || name.endsWith('.tsbuildinfo')) {
    remove(path);
  }
}

console.log(`slim-runtime: removed ${files} paths, ${(bytes / 1e6).toFixed(1)} MB`);
