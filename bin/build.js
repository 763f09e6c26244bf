// The compiled build: the project's TypeScript transpiled file by file to JavaScript (esbuild, no bundle),
// so that `companyos` starts without a TypeScript loader. Plain JavaScript itself, because it runs before any
// loader: from `npm ci`/`npm install` (the `prepare` script) and from bin/companyos.js at a start that finds
// the build missing or stale.
//
// A build lives in dist/<fingerprint>/, the fingerprint being a digest of every source file's path, size and
// modification time (and of esbuild's version): a changed file names a new build, and a build once renamed into
// place is never written again, so processes that start while another builds, or run while a newer build is
// made, each see one whole build. Files the code reads beside itself at run time (the Cedar policies, the
// demo plan, package.json) are copied, so `new URL('../x', import.meta.url)` finds them from dist/ too. The
// audit portal's browser code is bundled into dist/<fingerprint>/portal/ (portal/bundle.js).
import { createHash } from 'node:crypto';
import { cpSync, existsSync, mkdirSync, readdirSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';
import { bundlePortal, PORTAL_DIR, PORTAL_STATIC, portalSourceFiles } from '../portal/bundle.js';

export const ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..');
export const DIST = join(ROOT, 'dist');
/** The folders the system's code lives in (tsconfig's, less test/ and the benchmarks, which run from source). */
const SOURCE_DIRS = ['domain', 'projections', 'commands', 'adapters', 'schemas', 'ledger', 'bin'];
const SKIPPED = new Set([join(ROOT, 'bin', 'bench'), join(ROOT, 'bin', 'companyos.js'), join(ROOT, 'bin', 'build.js')]);
/** Builds older than this that are not current are removed after a build (a running process may use one). */
const KEEP_OLD_BUILDS_MS = 60 * 60 * 1000;

/** Every file the build is made of: [TypeScript sources, files copied as they are]. Tests are left out. */
function sourceFiles() {
  const code = [];
  const assets = [join(ROOT, 'package.json')];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (SKIPPED.has(path)) continue;
      if (entry.isDirectory()) walk(path);
      else if (entry.name.endsWith('.test.ts') || entry.name.endsWith('.d.ts')) continue;
      else if (entry.name.endsWith('.ts')) code.push(path);
      else if (!entry.name.endsWith('.js')) assets.push(path);
    }
  };
  for (const dir of SOURCE_DIRS) if (existsSync(join(ROOT, dir))) walk(join(ROOT, dir));
  return [code.sort(), assets.sort()];
}

function esbuildVersion() {
  try {
    return JSON.parse(readFileSync(join(ROOT, 'node_modules', 'esbuild', 'package.json'), 'utf8')).version;
  } catch {
    return 'none';
  }
}

/** The digest that names the build of the source as it is now: paths, sizes and modification times. */
export function fingerprint(files = sourceFiles()) {
  const hash = createHash('sha256').update(`format 3\0esbuild ${esbuildVersion()}\0`);
  for (const path of [...files[0], ...files[1], ...portalSourceFiles()]) {
    // A file removed since the walk (a checkout under way) is left out: the next start sees the new set.
    const s = statSync(path, { throwIfNoEntry: false });
    if (s === undefined) continue;
    hash.update(`${relative(ROOT, path)}\0${s.size}\0${Math.floor(s.mtimeMs)}\n`);
  }
  return hash.digest('hex').slice(0, 16);
}

/** The compiled CLI's entry module for the current source, or undefined when it is not built. */
export function currentEntry(id = fingerprint()) {
  const entry = join(DIST, id, 'bin', 'cli.js');
  return existsSync(entry) ? pathToFileURL(entry).href : undefined;
}

/** Builds the current source into dist/<fingerprint>/ unless it is there; returns the build's folder. */
export async function build() {
  const files = sourceFiles();
  const id = fingerprint(files);
  const target = join(DIST, id);
  if (existsSync(join(target, 'bin', 'cli.js'))) return target;
  const { build: esbuild } = await import('esbuild');
  const scratch = join(DIST, `.building-${id}-${process.pid}`);
  rmSync(scratch, { recursive: true, force: true });
  mkdirSync(scratch, { recursive: true });
  try {
    await esbuild({
      entryPoints: files[0],
      outdir: scratch,
      outbase: ROOT,
      bundle: false,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      tsconfig: join(ROOT, 'tsconfig.json'),
      logLevel: 'silent',
    });
    for (const asset of files[1]) cpSync(asset, join(scratch, relative(ROOT, asset)));
    // The chain verification worker as one script over the file transpiled above: each worker parses one
    // module instead of resolving and loading its graph file by file (≈ 40 ms of CPU at its start, not ≈ 0.1 s;
    // commands/chain-worker-script.ts bundles the same entry in memory for a run from source).
    await esbuild({
      entryPoints: [join(ROOT, 'commands', 'parallel-chain-worker.ts')],
      outfile: join(scratch, 'commands', 'parallel-chain-worker.js'),
      allowOverwrite: true,
      bundle: true,
      format: 'esm',
      platform: 'node',
      target: 'node20',
      tsconfig: join(ROOT, 'tsconfig.json'),
      // Bundled CommonJS dependencies (tweetnacl) call require for Node's built-ins.
      banner: { js: "import { createRequire as __createRequire } from 'node:module'; const require = __createRequire(import.meta.url);" },
      logLevel: 'silent',
    });
    // The portal: one bundle and its static files, served by adapters/http/portal-assets.ts from here.
    mkdirSync(join(scratch, 'portal'), { recursive: true });
    writeFileSync(join(scratch, 'portal', 'app.js'), await bundlePortal());
    for (const file of PORTAL_STATIC) cpSync(join(PORTAL_DIR, file), join(scratch, 'portal', file));
    try {
      renameSync(scratch, target);
    } catch (error) {
      // Another process finished the same build first: theirs is as good as ours.
      if (!existsSync(join(target, 'bin', 'cli.js'))) throw error;
    }
  } finally {
    rmSync(scratch, { recursive: true, force: true });
  }
  pruneOldBuilds(id);
  return target;
}

function pruneOldBuilds(current) {
  const now = Date.now();
  for (const name of readdirSync(DIST)) {
    if (name === current) continue;
    const path = join(DIST, name);
    try {
      if (now - statSync(path).mtimeMs > KEEP_OLD_BUILDS_MS) rmSync(path, { recursive: true, force: true });
    } catch {
      // Removed by another process meanwhile.
    }
  }
}

// `node bin/build.js`: the `prepare` script. One line on success; a failure is one line and exit 1.
if (process.argv[1] !== undefined && resolve(process.argv[1]) === fileURLToPath(import.meta.url)) {
  try {
    const started = performance.now();
    const target = await build();
    console.log(`companyos: compiled build in ${relative(ROOT, target)} (${((performance.now() - started) / 1000).toFixed(1)} s)`);
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    console.error(`companyos build: ${message.trim().replace(/\s*[\r\n]+\s*/g, ' ')}`);
    process.exit(1);
  }
}
