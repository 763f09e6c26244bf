// `companyos verify-receipt FILE [--trusted-key KEY]...`: checks a receipt (one JSON object) or a bulk export
// (NDJSON, one receipt a line) with the offline verifier alone (ledger/offline-verifier.ts, the module a
// browser runs): no database, no server, no keyring. Keys are pinned with --trusted-key, else with
// COMPANYOS_TRUSTED_KEYS; with neither, the receipt's own keys are used and the output says it is not pinned. Exit 0 when every receipt verifies, 1 otherwise.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ReceiptVerifier, type ReceiptReport } from '../../ledger/offline-verifier.js';
import type { Config } from '../../schemas/config.js';
import { argumentMistake, ExitCode, UsageError } from './usage.js';

export async function verifyReceiptCommand(config: Config, argv: readonly string[]): Promise<void> {
  let parsed: { values: { 'trusted-key'?: string[]; json?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { 'trusted-key': { type: 'string', multiple: true }, json: { type: 'boolean' } },
      strict: true,
      allowPositionals: true,
    });
  } catch (error) {
    throw new UsageError(argumentMistake(error, argv));
  }
  const [file, ...extra] = parsed.positionals;
  if (file === undefined || extra.length > 0) throw new UsageError('verify-receipt takes one FILE (a receipt, or NDJSON receipts)');
  let text: string;
  try {
    text = await readFile(file, 'utf8');
  } catch (error) {
    throw new UsageError(`${file}: ${(error as NodeJS.ErrnoException).code === 'ENOENT' ? 'no such file' : String(error)}`);
  }
  const receipts = receiptsIn(text, file);
  let verifier: ReceiptVerifier;
  try {
    // --trusted-key wins; else the keys the operator pinned for the whole system (COMPANYOS_TRUSTED_KEYS).
    verifier = new ReceiptVerifier({ trustedKeys: parsed.values['trusted-key'] ?? config.trustedKeys ?? [] });
  } catch (error) {
    throw new UsageError(`--trusted-key: ${error instanceof Error ? error.message : String(error)}`);
  }
  const reports = await verifier.verifyAll(receipts);
  const failed = reports.filter((r) => !r.ok);
  if (parsed.values.json) console.log(JSON.stringify(reports.length === 1 ? reports[0] : { ok: failed.length === 0, receipts: reports.length, failed: failed.length, reports }));
  else print(reports);
  if (failed.length > 0) throw new ExitCode(1);
}

/** One JSON receipt, or NDJSON: one receipt per non-empty line. */
function receiptsIn(text: string, file: string): unknown[] {
  try {
    return [JSON.parse(text)];
  } catch {
    const lines = text.split('\n').filter((l) => l.trim() !== '');
    return lines.map((line, i) => {
      try {
        return JSON.parse(line) as unknown;
      } catch {
        throw new UsageError(`${file}: line ${i + 1} is not JSON (expected a receipt, or one receipt per line)`);
      }
    });
  }
}

function print(reports: readonly ReceiptReport[]): void {
  const failed = reports.filter((r) => !r.ok);
  for (const r of failed.slice(0, 10)) console.log(`invalid: event ${r.eventId ?? '?'} (leaf ${r.leafIndex ?? '?'}): ${r.problems.join('; ')}`);
  if (failed.length > 10) console.log(`${failed.length - 10} more invalid receipt(s); --json lists them all`);
  const good = reports.filter((r) => r.ok);
  if (good.length === 1 && reports.length === 1) {
    const r = good[0]!;
    console.log(`ok: event ${r.eventId} is leaf ${r.leafIndex} of ${r.origin} at size ${r.treeSize}; checkpoint signed by ${r.checkpointSignedBy.join(', ')}`);
  } else if (good.length > 0) {
    const origins = [...new Set(good.map((r) => `${r.origin}@${r.treeSize}`))].join(', ');
    console.log(`ok: ${good.length} of ${reports.length} receipts verified against ${origins}`);
  }
  if (good.some((r) => !r.pinned)) {
    console.log('not pinned: the keys came with the receipt; pass --trusted-key <the log key, obtained out of band> to prove who signed');
  }
}
