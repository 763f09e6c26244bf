// The chain verification worker (commands/parallel-chain-worker.ts) as ONE script, for a verifier running
// from source. Under tsx a worker gets none of its loader, so it used to register tsx and import its entry
// module by module through it: ≈ 0.3 s of CPU per worker before its first check, more than 10,000 events'
// hashing. Bundled (esbuild, which the build uses too), a worker parses one script: ≈ 40 ms. The compiled
// build bundles the same entry into dist/ at build time (bin/build.js); this is its in-memory twin, made once
// per process, synchronously (the verifier starts its workers in its constructor).
import { createRequire } from 'node:module';
import { fileURLToPath } from 'node:url';

/** The worker's entry module, which both this and bin/build.js bundle. */
export const CHAIN_WORKER_ENTRY = fileURLToPath(new URL('./parallel-chain-worker.ts', import.meta.url));

let script: string | undefined;

/** The worker bundled as a CommonJS script, for `new Worker(script, { eval: true })`. */
export function chainWorkerScript(): string {
  if (script === undefined) {
    const { buildSync } = createRequire(import.meta.url)('esbuild') as typeof import('esbuild');
    const result = buildSync({
      entryPoints: [CHAIN_WORKER_ENTRY],
      bundle: true,
      format: 'cjs',
      platform: 'node',
      target: 'node20',
      write: false,
      logLevel: 'silent',
      tsconfig: fileURLToPath(new URL('../tsconfig.json', import.meta.url)),
    });
    script = result.outputFiles[0]!.text;
  }
  return script;
}
