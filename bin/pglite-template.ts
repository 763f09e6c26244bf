// A fresh embedded store's first seconds went to PGlite's initdb (a second wasm instance, run, dumped and
// loaded again) and then to the migrations of the log and the read models. Both results are the same for every
// data directory of one PGlite version, schema and set of migrations, so they are made once (at install: npm
// ci's postinstall runs this file) and kept under node_modules/.cache/companyos; a new data directory starts from
// the migrated dump when its migrations are the current ones, else from the bare initdb one, else runs initdb.
// A migration's id is its identity (`migrate` applies each id once), so the ids name the migrated dump.
import { createHash } from 'node:crypto';
import { mkdir, mkdtemp, readFile, rename, rm, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the installed PGlite's dumps live and what they are called; undefined when its version cannot be read. */
async function cacheOf(): Promise<{ readonly dir: string; readonly version: string } | undefined> {
  try {
    // node_modules/@electric-sql/pglite/dist/index.js → node_modules/@electric-sql/pglite (from source or dist/).
    const pkgDir = fileURLToPath(new URL('..', import.meta.resolve('@electric-sql/pglite')));
    const pkg = JSON.parse(await readFile(join(pkgDir, 'package.json'), 'utf8')) as { version?: unknown };
    return typeof pkg.version === 'string' ? { dir: join(pkgDir, '..', '..', '.cache', 'companyos'), version: pkg.version } : undefined;
  } catch {
    return undefined;
  }
}

/** The file of the bare initdb dump, or (with schema and migration ids) of the dump with those applied. */
export async function templateFile(migrated?: { readonly schema: string; readonly ids: readonly string[] }): Promise<string | undefined> {
  const cache = await cacheOf();
  if (cache === undefined) return undefined;
  if (migrated === undefined) return join(cache.dir, `pglite-${cache.version}.tar.gz`);
  const digest = createHash('sha256').update(migrated.ids.join('\0')).digest('hex').slice(0, 16);
  return join(cache.dir, `pglite-${cache.version}-${migrated.schema}-${digest}.tar.gz`);
}

/** The migration ids a store of the system is opened with: the log's, then the read models'. */
async function systemMigrationIds(): Promise<string[]> {
  const [{ eventLogMigrations }, { readModelMigrations }] = await Promise.all([
    import('../adapters/event-log/postgres/schema.js'),
    import('../projections/index.js'),
  ]);
  return [...eventLogMigrations, ...readModelMigrations].map((m) => m.id);
}

const read = async (file: string | undefined): Promise<Blob | undefined> => {
  if (file === undefined) return undefined;
  try {
    return new Blob([await readFile(file)]);
  } catch {
    return undefined;
  }
};

/** The best dump for a new data directory of `schema`, and whether the system's migrations are in it. */
export async function loadTemplate(schema: string): Promise<{ readonly dump: Blob; readonly migrated: boolean } | undefined> {
  const migrated = await read(await templateFile({ schema, ids: await systemMigrationIds() }));
  if (migrated !== undefined) return { dump: migrated, migrated: true };
  const bare = await read(await templateFile());
  return bare === undefined ? undefined : { dump: bare, migrated: false };
}

const keep = async (file: string, dump: Blob): Promise<void> => {
  await mkdir(dirname(file), { recursive: true });
  const partial = `${file}.${process.pid}.partial`;
  await writeFile(partial, Buffer.from(await dump.arrayBuffer()));
  await rename(partial, file);
};

/** Makes both dumps for `schema`; returns their files, or undefined where PGlite cannot be found. */
export async function makeTemplates(schema: string): Promise<readonly string[] | undefined> {
  const bareFile = await templateFile();
  if (bareFile === undefined) return undefined;
  const { PGlite } = await import('@electric-sql/pglite');
  const fresh = await PGlite.create();
  const bare = await fresh.dumpDataDir('gzip').finally(() => fresh.close());
  await keep(bareFile, bare);
  // The migrations run as at a start (the log's, then the read models'), in a scratch directory made from the dump.
  const { openPostgresEventLog } = await import('../adapters/event-log/postgres/index.js');
  const { migrate } = await import('../adapters/read-store/postgres/database.js');
  const { readModelMigrations } = await import('../projections/index.js');
  const scratch = await mkdtemp(join(tmpdir(), 'companyos-pglite-template-'));
  try {
    const dataDir = join(scratch, 'pglite');
    const log = await openPostgresEventLog({ dataDir, schema, template: bare });
    await migrate(log.database, readModelMigrations).finally(() => log.close());
    const again = await PGlite.create({ dataDir });
    const migrated = await again.dumpDataDir('gzip').finally(() => again.close());
    const migratedFile = (await templateFile({ schema, ids: await systemMigrationIds() }))!;
    await keep(migratedFile, migrated);
    return [bareFile, migratedFile];
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

// `node --import tsx bin/pglite-template.ts`: make them now (npm ci's postinstall); never fails the install.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  makeTemplates(process.env['COMPANYOS_PG_SCHEMA'] ?? 'companyos').then(
    (files) => console.error(files === undefined ? 'companyos: no PGlite template (PGlite not found)' : `companyos: PGlite templates: ${files.join(', ')}`),
    (error: unknown) => console.error(`companyos: no PGlite template: ${error instanceof Error ? error.message : String(error)}`),
  );
}
