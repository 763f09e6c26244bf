// A fresh embedded store's first seconds went to PGlite's initdb (a second wasm instance, run, dumped and
// loaded again). Its result is the same for every data directory of one PGlite version, so it is made once
// (at install, `npm run pglite-template`, or by the first start that has none) and kept under
// node_modules/.cache/companyos; a new data directory starts from that dump. Without it, initdb runs as before.
import { mkdir, readFile, rename, writeFile } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the dump for the installed PGlite lives; undefined when PGlite's version cannot be read. */
export async function templateFile(): Promise<string | undefined> {
  try {
    // node_modules/@electric-sql/pglite/dist/index.js → node_modules/@electric-sql/pglite (from source or dist/).
    const pkgDir = fileURLToPath(new URL('..', import.meta.resolve('@electric-sql/pglite')));
    const pkg = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? join(pkgDir, '..', '..', '.cache', 'companyos', `pglite-${pkg.version}.tar.gz`) : undefined;
  } catch {
    return undefined;
  }
}

/** The initdb result for the installed PGlite, if one was made. */
export async function loadTemplate(): Promise<Blob | undefined> {
  const file = await templateFile();
  if (file === undefined) return undefined;
  try {
    return new Blob([await readFile(file)]);
  } catch {
    return undefined;
  }
}

/** Runs initdb once in memory and keeps its dump; returns the file, or undefined where it cannot be written. */
export async function makeTemplate(): Promise<string | undefined> {
  const file = await templateFile();
  if (file === undefined) return undefined;
  const { PGlite } = await import('@electric-sql/pglite');
  const pglite = await PGlite.create();
  try {
    const dump = await pglite.dumpDataDir('gzip');
    await mkdir(dirname(file), { recursive: true });
    const partial = `${file}.${process.pid}.partial`;
    await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
    await rename(partial, file);
    return file;
  } finally {
    await pglite.close();
  }
}

// `node --import tsx bin/pglite-template.ts`: make it now (the install hook); never fails the install.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  makeTemplate().then(
    (file) => console.error(file === undefined ? 'companyos: no PGlite template (PGlite not found)' : `companyos: PGlite template in ${file}`),
    (error: unknown) => console.error(`companyos: no PGlite template: ${error instanceof Error ? error.message : String(error)}`),
  );
}
