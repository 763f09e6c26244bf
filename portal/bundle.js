// The audit portal's build: its browser code (portal/*.ts, Preact + htm, and the ledger's offline verifier)
// bundled by esbuild into one minified ES module, with the page and the style sheet beside it. Plain
// JavaScript, because bin/build.js (run by `prepare`, before any TypeScript loader) bundles it into
// dist/<fingerprint>/portal/; a server running from source bundles it in memory instead
// (adapters/http/portal-assets.ts). Nothing is fetched at run time: the page loads only these files.
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export const PORTAL_DIR = dirname(fileURLToPath(import.meta.url));
/** Served as they are, beside the bundle. */
export const PORTAL_STATIC = ['index.html', 'app.css'];

/** Every file the bundle is made of (for the build's fingerprint): the portal's sources and its static files. */
export function portalSourceFiles() {
  const found = [];
  const walk = (dir) => {
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
      const path = join(dir, entry.name);
      if (entry.isDirectory()) walk(path);
      else if (!entry.name.endsWith('.test.ts')) found.push(path);
    }
  };
  walk(PORTAL_DIR);
  return found.sort();
}

/** The bundle's text (app.js). */
export async function bundlePortal() {
  const { build } = await import('esbuild');
  const result = await build({
    entryPoints: [join(PORTAL_DIR, 'main.ts')],
    bundle: true,
    format: 'esm',
    platform: 'browser',
    target: 'es2022',
    minify: true,
    write: false,
    outfile: 'app.js',
    legalComments: 'none',
    logLevel: 'silent',
    tsconfig: join(PORTAL_DIR, 'tsconfig.json'),
  });
  return result.outputFiles[0].text;
}
