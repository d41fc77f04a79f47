// The production entry point, copied by scripts/bundle.mjs to dist/bundle/main.js: runs the
// service bundle (service.cjs beside it) from V8's code cache. Compiling the 4.5 MB bundle, and
// then each function its modules run as they load, cost ~230 ms of every boot; the cache holds
// that bytecode, written at build time by `main.js --write-code-cache` under the production
// flags. Node 20 has no code cache for ES modules, hence a CommonJS bundle run as a script.
//
// V8 rejects a cache made by another V8 or under other flags (--check-code-cache tells); the
// service then compiles from source, as it would without one.
import { readFileSync, renameSync, writeFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { dirname } from 'node:path';
import { fileURLToPath } from 'node:url';
import { Script } from 'node:vm';

const file = fileURLToPath(new URL('service.cjs', import.meta.url));
const cacheFile = `${file}.v8-cache`;
const mode = process.argv.includes('--write-code-cache')
  ? 'write'
  : process.argv.includes('--check-code-cache')
    ? 'check'
    : 'run';

function readCache() {
  try {
    return readFileSync(cacheFile);
  } catch {
    return undefined;
  }
}

// Node's own CommonJS wrapper, on the first line: the bundle's source map stays true. The build
// leaves the bundle ASCII only, so Latin-1 reads it exactly, without UTF-8 decoding (~60 ms).
// The cache is read here only: held at module level, its 2.7 MB would stay for the process's life.
function compileBundle(cachedData) {
  return new Script(
    `(function (exports, require, module, __filename, __dirname) { ${readFileSync(file, 'latin1')}\n})`,
    { filename: file, cachedData },
  );
}

if (mode === 'check') {
  const cachedData = readCache();
  const verdict =
    cachedData === undefined
      ? 'missing'
      : compileBundle(cachedData).cachedDataRejected
        ? 'rejected'
        : 'accepted';
  process.stdout.write(`code cache ${verdict}: ${cacheFile}\n`);
  process.exit(verdict === 'accepted' ? 0 : 1);
}

const script = compileBundle(mode === 'write' ? undefined : readCache());
const bundle = { exports: {} };
script
  .runInThisContext()
  .call(bundle.exports, bundle.exports, createRequire(file), bundle, file, dirname(file));

if (mode === 'write') {
  // Every module is loaded now, and the functions their loading ran are compiled: all of it goes
  // into the cache. Written whole, then renamed: a service starting meanwhile never reads half.
  const partial = `${cacheFile}.${process.pid}`;
  writeFileSync(partial, script.createCachedData());
  renameSync(partial, cacheFile);
} else {
  void bundle.exports.runService();
}
