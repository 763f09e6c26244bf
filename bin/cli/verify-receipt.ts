// `companyos verify-receipt FILE [--trusted-key KEY]...`: checks a receipt (one JSON object) or a bulk export
// (NDJSON, one receipt a line) with the offline verifier alone (ledger/offline-verifier.ts, the module a
// browser runs): no database, no server, no keyring. Keys are pinned with --trusted-key, else with
// COMPANYOS_TRUSTED_KEYS; with neither, the receipt's own keys are used and the output says it is not pinned.
// --witness-key KEY (repeated; a witness's cosignature/v1 verifier key) checks the witnesses' lines on the
// checkpoint note and needs --min-witnesses N of them (default all given); the output names who cosigned.
// Exit 0 when every receipt verifies, 1 otherwise.
import { readFile } from 'node:fs/promises';
import { parseArgs } from 'node:util';
import { ReceiptVerifier, type ReceiptReport } from '../../ledger/offline-verifier.js';
import type { Config } from '../../schemas/config.js';
import { argumentMistake, ExitCode, UsageError } from './usage.js';

export async function verifyReceiptCommand(config: Config, argv: readonly string[]): Promise<void> {
  let parsed: { values: { 'trusted-key'?: string[]; 'witness-key'?: string[]; 'min-witnesses'?: string; json?: boolean }; positionals: string[] };
  try {
    parsed = parseArgs({
      args: [...argv],
      options: { 'trusted-key': { type: 'string', multiple: true }, 'witness-key': { type: 'string', multiple: true }, 'min-witnesses': { type: 'string' }, json: { type: 'boolean' } },
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
  const witnessKeys = parsed.values['witness-key'] ?? [];
  const min = parsed.values['min-witnesses'];
  if (min !== undefined && (!/^(0|[1-9][0-9]{0,3})$/.test(min) || Number(min) > witnessKeys.length)) {
    throw new UsageError(`--min-witnesses: expected a whole number from 0 to the ${witnessKeys.length} --witness-key(s) given, got ${JSON.stringify(min)}`);
  }
  let verifier: ReceiptVerifier;
  try {
    // --trusted-key wins; else the keys the operator pinned for the whole system (COMPANYOS_TRUSTED_KEYS).
    verifier = new ReceiptVerifier({ trustedKeys: parsed.values['trusted-key'] ?? config.trustedKeys ?? [], witnessKeys, ...(min === undefined ? {} : { minWitnesses: Number(min) }) });
  } catch (error) {
    const message = error instanceof Error ? error.message : String(error);
    throw new UsageError(`${message.startsWith('witness key') ? '--witness-key' : '--trusted-key'}: ${message}`);
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
    console.log(`ok: event ${r.eventId} is leaf ${r.leafIndex} of ${r.origin} at size ${r.treeSize}; checkpoint signed by ${r.checkpointSignedBy.join(', ')}${witnessed(r.witnessedBy)}`);
  } else if (good.length > 0) {
    const origins = [...new Set(good.map((r) => `${r.origin}@${r.treeSize}`))].join(', ');
    const witnesses = [...new Set(good.flatMap((r) => r.witnessedBy))];
    console.log(`ok: ${good.length} of ${reports.length} receipts verified against ${origins}${witnessed(witnesses)}`);
  }
  if (good.some((r) => !r.pinned)) {
    console.log('not pinned: the keys came with the receipt; pass --trusted-key <the log key, obtained out of band> to prove who signed');
  }
}

/** `; cosigned by w1+id, w2+id` when witnesses were checked and some cosigned. */
function witnessed(by: readonly string[]): string {
  return by.length === 0 ? '' : `; cosigned by ${by.join(', ')}`;
}
