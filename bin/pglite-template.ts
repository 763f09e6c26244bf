// A fresh embedded store's first seconds went to PGlite's initdb (a second wasm instance, run, dumped and
// loaded again) and then to the migrations of the log and the read models. Both results are the same for every
// data directory of one PGlite version, schema and set of migrations, so they are made once (at install: npm
// ci's postinstall runs this file) and kept as data directories under node_modules/.cache/companyos; a new store
// is a copy of the migrated one when its migrations are the current ones, else of the bare initdb one, else
// PGlite runs initdb. A copy is a plain file copy, so a first start costs what a restart does.
// A migration's id is its identity (`migrate` applies each id once), so the ids name the migrated template.
import { createHash } from 'node:crypto';
import { cp, mkdir, mkdtemp, readFile, rename, rm, stat } from 'node:fs/promises';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Where the installed PGlite's templates live and its version; undefined when its version cannot be read. */
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

/** The bare initdb template's directory, or (with schema and migration ids) the one with those applied. */
export async function templateDir(migrated?: { readonly schema: string; readonly ids: readonly string[] }): Promise<string | undefined> {
  const cache = await cacheOf();
  if (cache === undefined) return undefined;
  if (migrated === undefined) return join(cache.dir, `pglite-${cache.version}`);
  const digest = createHash('sha256').update(migrated.ids.join('\0')).digest('hex').slice(0, 16);
  return join(cache.dir, `pglite-${cache.version}-${migrated.schema}-${digest}`);
}

/** The migration ids a store of the system is opened with: the log's, then the read models'. */
async function systemMigrationIds(): Promise<string[]> {
  const [{ eventLogMigrations }, { readModelMigrations }] = await Promise.all([
    import('../adapters/event-log/postgres/schema.js'),
    import('../projections/index.js'),
  ]);
  return [...eventLogMigrations, ...readModelMigrations].map((m) => m.id);
}

const isStore = (dir: string | undefined): Promise<boolean> =>
  dir === undefined ? Promise.resolve(false) : stat(join(dir, 'PG_VERSION')).then(() => true, () => false);

/**
 * Makes `dataDir`, when it does not exist yet, a copy of the best template for `schema`. Says what it found:
 * 'existing' (a store is there: nothing done), 'migrated' (copied, the system's migrations applied), 'initdb'
 * (copied, a bare cluster), or 'none' (no template: PGlite will run initdb).
 */
export async function copyTemplate(dataDir: string, schema: string): Promise<'existing' | 'migrated' | 'initdb' | 'none'> {
  if (await stat(dataDir).then(() => true, () => false)) return 'existing';
  const migrated = await templateDir({ schema, ids: await systemMigrationIds() });
  const bare = await templateDir();
  const [kind, from] = (await isStore(migrated)) ? (['migrated', migrated!] as const) : (await isStore(bare)) ? (['initdb', bare!] as const) : (['none', undefined] as const);
  if (from === undefined) return kind;
  // Copied beside it and renamed into place, so a failed copy leaves nothing behind.
  const copying = `${dataDir}.copying-${process.pid}`;
  try {
    await cp(from, copying, { recursive: true });
    await rename(copying, dataDir);
    return kind;
  } catch {
    await rm(copying, { recursive: true, force: true });
    return 'none';
  }
}

/** Puts a finished directory in place; another process that made the same one first wins. */
const keep = async (made: string, dir: string): Promise<void> => {
  await mkdir(dirname(dir), { recursive: true });
  await rename(made, dir).catch(async (error: NodeJS.ErrnoException) => {
    if (!(await isStore(dir))) throw error;
  });
};

/** Makes both templates for `schema`; returns their directories, or undefined where PGlite cannot be found. */
export async function makeTemplates(schema: string): Promise<readonly string[] | undefined> {
  const bareDir = await templateDir();
  if (bareDir === undefined) return undefined;
  const migratedDir = (await templateDir({ schema, ids: await systemMigrationIds() }))!;
  await mkdir(dirname(bareDir), { recursive: true });
  const scratch = await mkdtemp(join(dirname(bareDir), '.making-'));
  try {
    if (!(await isStore(bareDir))) {
      const { PGlite } = await import('@electric-sql/pglite');
      const fresh = await PGlite.create({ dataDir: join(scratch, 'bare') });
      await fresh.close();
      await keep(join(scratch, 'bare'), bareDir);
    }
    // The migrations run as at a start (the log's, then the read models'), on a copy of the bare cluster.
    const { openPostgresEventLog } = await import('../adapters/event-log/postgres/index.js');
    const { migrate } = await import('../adapters/read-store/postgres/database.js');
    const { readModelMigrations } = await import('../projections/index.js');
    const made = join(scratch, 'migrated');
    await cp(bareDir, made, { recursive: true });
    const log = await openPostgresEventLog({ dataDir: made, schema });
    await migrate(log.database, readModelMigrations).finally(() => log.close());
    await keep(made, migratedDir);
    return [bareDir, migratedDir];
  } finally {
    await rm(scratch, { recursive: true, force: true });
  }
}

// `node --import tsx bin/pglite-template.ts`: make them now (npm ci's postinstall); never fails the install.
if (process.argv[1] !== undefined && fileURLToPath(import.meta.url) === process.argv[1]) {
  makeTemplates(process.env['COMPANYOS_PG_SCHEMA'] ?? 'companyos').then(
    (dirs) => console.error(dirs === undefined ? 'companyos: no PGlite template (PGlite not found)' : `companyos: PGlite templates: ${dirs.join(', ')}`),
    (error: unknown) => console.error(`companyos: no PGlite template: ${error instanceof Error ? error.message : String(error)}`),
  );
}
