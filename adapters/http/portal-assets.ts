// The audit portal's files as the server holds them: the page, the style sheet and the one script bundle,
// each with its gzip form and an ETag. From the compiled build they are read from dist/<fingerprint>/portal/
// (bin/build.js bundled them at `prepare`); running from source, the bundle is made in memory once
// (portal/bundle.js), so both ways serve the same files and nothing is fetched from elsewhere.
import { createHash } from 'node:crypto';
import { readFile } from 'node:fs/promises';
import { gzipSync } from 'node:zlib';

export interface PortalAsset {
  readonly body: Uint8Array;
  readonly gzipped: Uint8Array;
  readonly contentType: string;
  readonly etag: string;
}

export type PortalAssets = ReadonlyMap<string, PortalAsset>;

const TYPES: Readonly<Record<string, string>> = {
  'index.html': 'text/html; charset=utf-8',
  'app.css': 'text/css; charset=utf-8',
  'app.js': 'text/javascript; charset=utf-8',
};

const assetOf = (name: string, body: Uint8Array): PortalAsset => ({
  body,
  gzipped: gzipSync(body, { level: 9 }),
  contentType: TYPES[name]!,
  etag: `"${createHash('sha256').update(body).digest('base64url').slice(0, 22)}"`,
});

/** Beside this module in the build (dist/<id>/adapters/http/ → dist/<id>/portal/), or the source's portal/. */
const PORTAL = new URL('../../portal/', import.meta.url);

async function load(): Promise<PortalAssets> {
  const read = (name: string) => readFile(new URL(name, PORTAL));
  const built = await read('app.js').catch(() => undefined);
  const script = built ?? new TextEncoder().encode(await (await import(new URL('bundle.js', PORTAL).href) as { bundlePortal(): Promise<string> }).bundlePortal());
  const [page, css] = await Promise.all([read('index.html'), read('app.css')]);
  return new Map([
    ['index.html', assetOf('index.html', page)],
    ['app.css', assetOf('app.css', css)],
    ['app.js', assetOf('app.js', script)],
  ]);
}

let loading: Promise<PortalAssets> | undefined;

/** The portal's files, loaded (or bundled) on first use and kept; a failure is retried on the next call. */
export function portalAssets(): Promise<PortalAssets> {
  return (loading ??= load().catch((error: unknown) => {
    loading = undefined;
    throw error;
  }));
}
