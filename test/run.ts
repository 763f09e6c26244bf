// Test entry: finds every *.test.ts in the project and runs them as one uvu session,
// so the closing "Total / Passed / Skipped" lines count the whole suite.
// Usage: node --import tsx test/run.ts [substring filter ...]
import { readdirSync, statSync } from 'node:fs';
import { join, relative, resolve } from 'node:path';
import { run } from 'uvu/run';

const root = resolve(import.meta.dirname, '..');
const skip = new Set(['node_modules', 'data', '.git', '.tmp']);

function findTests(dir: string): string[] {
  const found: string[] = [];
  for (const name of readdirSync(dir).sort()) {
    if (skip.has(name)) continue;
    const path = join(dir, name);
    if (statSync(path).isDirectory()) found.push(...findTests(path));
    else if (name.endsWith('.test.ts')) found.push(path);
  }
  return found;
}

const filters = process.argv.slice(2);
const files = findTests(root).filter((f) => filters.length === 0 || filters.some((x) => f.includes(x)));
if (files.length === 0) {
  console.error(`no test files match ${filters.join(' ')}`);
  process.exit(1);
}
await run(files.map((file) => ({ name: relative(root, file), file })), { bail: false });
