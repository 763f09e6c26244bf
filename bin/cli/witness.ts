// `companyos witness --url URL --tenant T --state DIR [--log-key VERIFIER... | --trust-on-first-use] [--key FILE]
// [--name NAME] [--once] [--interval S]`: follows one tenant's checkpoints on a log server over HTTP only
// (COMPANYOS_TOKEN: a token of that tenant) and cosigns each one that extends the last it accepted
// (commands/witness.ts). The log keys are pinned in DIR/log-key: from --log-key (each one given is added),
// or, only when asked with --trust-on-first-use, the key the server publishes now (said on stderr); and each
// key a pinned one hands over to in a sealed rotation (commands/witness-keys.ts), said on stderr too.
// `companyos witness key --state DIR` prints the witness's verifier key (made if absent): what the log's
// operator adds to COMPANYOS_WITNESSES. A rollback or a fork stops the witness with one line naming the sizes,
// exit 1; a server it cannot reach is retried (with --once: exit 1).
import { hostname } from 'node:os';
import { mkdir } from 'node:fs/promises';
import { ServerError, httpLogServer } from '../../commands/witness-client.js';
import { checkpointFile, defaultKeyFile, loadWitnessKey, logKeyFile, readIfPresent, writeAtomically } from '../../commands/witness-state.js';
import { followRotations } from '../../commands/witness-keys.js';
import { WitnessRefusal, logKeyNameOf, witnessStep } from '../../commands/witness.js';
import { toBase64 } from '../../ledger/bytes.js';
import { openCheckpointNote } from '../../ledger/offline-verifier.js';
import { ED25519_NOTE, isKeyName, parseVerifierString } from '../../ledger/signed-note.js';
import type { Config } from '../../schemas/config.js';
import { parseOptions, UsageError } from './usage.js';
import * as t from 'io-ts';

const Options = t.intersection([
  t.type({ tenant: t.string, state: t.string }),
  t.partial({ url: t.string, key: t.string, 'log-key': t.array(t.string), 'trust-on-first-use': t.boolean, name: t.string, once: t.boolean, interval: t.string }),
]);

const SPEC = {
  url: { type: 'string' }, tenant: { type: 'string' }, state: { type: 'string' }, key: { type: 'string' }, 'log-key': { type: 'string', multiple: true },
  'trust-on-first-use': { type: 'boolean' }, name: { type: 'string' }, once: { type: 'boolean' }, interval: { type: 'string' },
} as const;

const errorText = (error: unknown) => (error instanceof Error ? error.message : String(error));

const KeyOptions = t.intersection([t.type({ state: t.string }), t.partial({ key: t.string, name: t.string })]);

/** `witness key --state DIR [--key FILE] [--name NAME]`: prints the witness's verifier key (made if absent), for COMPANYOS_WITNESSES. */
async function witnessKey(argv: readonly string[]): Promise<void> {
  const o = parseOptions(argv, { state: { type: 'string' }, key: { type: 'string' }, name: { type: 'string' } }, KeyOptions);
  const name = o.name ?? `witness.${hostname().toLowerCase()}`;
  if (!isKeyName(name)) throw new UsageError(`--name: ${JSON.stringify(name)} has a space or "+"`);
  await mkdir(o.state, { recursive: true, mode: 0o700 });
  const keyFile = o.key ?? defaultKeyFile(o.state);
  const { key, created } = await loadWitnessKey(keyFile, name);
  if (o.name !== undefined && key.name !== o.name) throw new UsageError(`--name: the witness key in ${keyFile} is named ${key.name} (a key's name is part of its id: it is chosen when the key is made)`);
  if (created) console.error(`made a witness key in ${keyFile}`);
  console.log(key.verifier);
}

export async function witnessCommand(_config: Config, argv: readonly string[], env: NodeJS.ProcessEnv = process.env): Promise<void> {
  if (argv[0] === 'key') return witnessKey(argv.slice(1));
  const o = parseOptions(argv, SPEC, Options);
  const url = o.url ?? env['COMPANYOS_URL'];
  if (url === undefined || !URL.canParse(url) || !/^https?:$/.test(new URL(url).protocol)) throw new UsageError(`--url: ${url === undefined ? 'missing (or set COMPANYOS_URL)' : `"${url}" is not an http(s) URL`}`);
  const token = env['COMPANYOS_TOKEN'];
  if (token === undefined || token === '') throw new UsageError(`COMPANYOS_TOKEN: missing (a token of tenant ${o.tenant} that may read its ledger)`);
  const intervalMs = o.interval === undefined ? 10_000 : Number(o.interval) * 1000;
  if (!Number.isFinite(intervalMs) || intervalMs < 10 || intervalMs > 86_400_000) throw new UsageError(`--interval: "${o.interval}" is not seconds between 0.01 and 86400`);
  if (o['log-key'] !== undefined && o['trust-on-first-use']) throw new UsageError('--log-key and --trust-on-first-use exclude each other');
  const name = o.name ?? `witness.${hostname().toLowerCase()}`;
  if (!isKeyName(name)) throw new UsageError(`--name: ${JSON.stringify(name)} has a space or "+"`);

  await mkdir(o.state, { recursive: true, mode: 0o700 });
  const server = httpLogServer(url, token);
  let logKeys = await pinnedLogKeys(o.state, o['log-key'] ?? [], o['trust-on-first-use'] === true, server, o.tenant);
  const keyFile = o.key ?? defaultKeyFile(o.state);
  const { key, created } = await loadWitnessKey(keyFile, name);
  if (o.name !== undefined && key.name !== o.name) throw new UsageError(`--name: the witness key in ${keyFile} is named ${key.name} (a key's name is part of its id: it is chosen when the key is made)`);
  console.error(`${created ? 'made a witness key; ' : ''}cosigning as ${key.verifier} (the log's operator lists it in COMPANYOS_WITNESSES)`);
  const origin = `${logKeyNameOf(logKeys)}/${o.tenant}`;

  let previous = await readIfPresent(checkpointFile(o.state));
  const stop = new AbortController();
  const quit = () => stop.abort();
  process.once('SIGINT', quit).once('SIGTERM', quit);
  try {
    for (;;) {
      try {
        // The log's key rotated: each next key a pinned one sealed the rotation to is pinned too.
        const reached = await followRotations(logKeys, await server.rotations());
        if (reached.length > 0) {
          logKeys = [...logKeys, ...reached.map((r) => r.key)];
          await writeAtomically(logKeyFile(o.state), logKeys.map((k) => `${k}\n`).join(''));
          for (const r of reached) console.error(`pinned log key ${r.key}: the rotation to it is sealed by ${r.from}`);
        }
        const step = await witnessStep({
          server, logKeys, origin, signer: key.signer, previous,
          save: (note) => writeAtomically(checkpointFile(o.state), note),
        });
        previous = step.note;
        if (step.grew || o.once) console.log(`cosigned ${origin} size ${step.checkpoint.size} root ${toBase64(step.checkpoint.root)}`);
      } catch (error) {
        if (error instanceof WitnessRefusal || o.once || !(error instanceof ServerError && error.transient)) throw error;
        console.error(`companyos witness: ${errorText(error)}; trying again in ${intervalMs / 1000} s`);
      }
      if (o.once || stop.signal.aborted) return;
      await new Promise<void>((resolve) => {
        const timer = setTimeout(resolve, intervalMs);
        stop.signal.addEventListener('abort', () => (clearTimeout(timer), resolve()), { once: true });
      });
      if (stop.signal.aborted) return;
    }
  } finally {
    process.off('SIGINT', quit).off('SIGTERM', quit);
  }
}

/**
 * The log keys this witness trusts, pinned in DIR/log-key (one a line): each --log-key not yet pinned is added
 * (a key the operator vouches for out of band; the keys pinned before still open the checkpoint kept from
 * before). With none pinned and none given, only --trust-on-first-use pins the key that opens the server's
 * checkpoint now, and says so.
 */
async function pinnedLogKeys(dir: string, given: readonly string[], tofu: boolean, server: ReturnType<typeof httpLogServer>, tenant: string): Promise<string[]> {
  const pinned = ((await readIfPresent(logKeyFile(dir))) ?? '').split('\n').map((l) => l.trim()).filter((l) => l !== '');
  for (const key of given) {
    const parsed = parseVerifierString(key);
    if (!parsed.ok || parsed.value.type !== ED25519_NOTE || parsed.value.publicKey.length !== 32) {
      throw new UsageError(`--log-key: not an Ed25519 note verifier key (<name>+<hex id>+<base64 key>, as GET /v1/ledger/keys shows it)${parsed.ok ? '' : `: ${parsed.reason}`}`);
    }
  }
  const added = given.filter((k, i) => !pinned.includes(k) && given.indexOf(k) === i);
  const keys = [...pinned, ...added];
  if (keys.length > 0) {
    try {
      logKeyNameOf(keys);
    } catch (error) {
      throw new UsageError(`--log-key: ${errorText(error)} (pinned in ${logKeyFile(dir)}: ${pinned.join(', ') || 'none'})`);
    }
    if (added.length > 0) {
      await writeAtomically(logKeyFile(dir), keys.map((k) => `${k}\n`).join(''));
      if (pinned.length > 0) console.error(`pinned log key ${added.join(', ')} beside ${pinned.join(', ')}`);
    }
    return keys;
  }
  if (!tofu) throw new UsageError(`no log key pinned in ${dir}: pass --log-key <the log's note verifier key, obtained out of band>, or --trust-on-first-use to pin the key the server shows now`);
  const note = await server.latestCheckpoint();
  for (const candidate of await server.keys()) {
    const opened = await openCheckpointNote(note, [candidate], `${candidate.slice(0, candidate.indexOf('+'))}/${tenant}`);
    if (!opened.ok) continue;
    await writeAtomically(logKeyFile(dir), `${candidate}\n`);
    console.error(`pinned log key ${candidate} on first use (--trust-on-first-use: the server named it; compare it with the operator's out of band)`);
    return [candidate];
  }
  throw new Error(`no key the server publishes opens its checkpoint for tenant ${tenant}: nothing pinned`);
}
