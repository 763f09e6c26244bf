#!/usr/bin/env node
// The `companyos` command. Runs the compiled JavaScript of the source as it is now (bin/build.js), building it
// first when it is missing or stale, so a call starts without a TypeScript loader. When it cannot build (no
// esbuild, a read-only install, a file that does not compile) it runs the TypeScript source through tsx, as
// it does with COMPANYOS_FROM_SOURCE=1.
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';
import { build, currentEntry } from './build.js';

async function compiledEntry() {
  if (process.env['COMPANYOS_FROM_SOURCE']) return undefined;
  try {
    const entry = currentEntry();
    if (entry !== undefined) return entry;
    if (process.stderr.isTTY) process.stderr.write('companyos: compiling the TypeScript source (once per change)…\n');
    return pathToFileURL(join(await build(), 'bin', 'cli.js')).href;
  } catch (error) {
    if (process.env['COMPANYOS_DEBUG']) console.error(`companyos: no compiled build (${error instanceof Error ? error.message : String(error)}); running the source`);
    return undefined;
  }
}

const entry = await compiledEntry();
if (entry !== undefined) {
  await import(entry);
} else {
  const { register } = await import('tsx/esm/api');
  register();
  await import('./cli.ts');
}
