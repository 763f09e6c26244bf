// `companyos verify --remote`: what an outside auditor does with nothing but HTTP and the offline verifier —
// no database, no Node API (only fetch and ledger/ modules), so issue 18's portal can run it in a browser.
// It reads the tenant's published keys, every signed checkpoint (GET /v1/ledger/checkpoints) and every
// anchored event with its proof (the bulk receipts NDJSON, GET /v1/ledger/receipts?from=&to=: the one read
// that enumerates a tenant's events), then: verifies each receipt (seal, signature, inclusion proof), holds
// each stream's chain (revisions from 0 without a gap, each prevHash the previous hash), demands every leaf
// 0..size-1 exactly once (a dropped or duplicated event is named by its leaf), rebuilds the tenant's tree
// from the leaves and compares it with every checkpoint's root at its size (so successive checkpoints are
// consistent with one tree), opens each note with the pinned keys, and with a kept checkpoint
// (--trusted-checkpoint) checks the current log still holds what it committed to, and the server's
// consistency proof from it to the latest. Events after the latest checkpoint are the unanchored tail: the
// export carries none of them, the server's count of them is reported, not verified.
// Keys: the chain from the pinned keys through the sealed rotations the server publishes
// (the offline verifier's followPublishedRotations, as the witness and verify-receipt follow it). An event or a checkpoint signed by a key the
// chain does not reach fails, naming the key. A retired key verifies leaves up to its final checkpoint in
// this tenant's tree (the largest checkpoint it signed at or before its sealed final position) and nothing
// beyond, whatever the event's sealedAt says; its successor verifies leaves after that checkpoint only.
import { equalBytes, fromBase64, fromHex, toBase64 } from '../ledger/bytes.js';
import { CompactRange, leafHash } from '../ledger/merkle.js';
import { eventKeyIdOf, followPublishedRotations, openCheckpointNote, verifyCheckpointStep, verifyReceipts, type PublishedKeyLink } from '../ledger/offline-verifier.js';
import { ED25519_NOTE, parseVerifierString, verifierString } from '../ledger/signed-note.js';

export interface RemoteVerifyOptions {
  /** The server's base URL, e.g. https://ledger.example.com. */
  readonly url: string;
  /** A bearer token of the tenant (it names the tenant). */
  readonly token: string;
  /** When given, the checkpoints' origin must be this tenant's. */
  readonly tenant?: string;
  /** Pinned keys (verifier strings, base64 raw keys or ed25519:<16 hex> ids); none: the server's own keys, said in the report. */
  readonly trustedKeys?: readonly string[];
  /** A checkpoint note saved earlier. */
  readonly trustedCheckpoint?: string;
  /** Witnesses' cosignature/v1 verifier keys: the latest checkpoint must carry `minWitnesses` of their lines (default all). */
  readonly witnessKeys?: readonly string[];
  readonly minWitnesses?: number;
  readonly fetch?: typeof fetch;
}

export interface RemoteFailure {
  /** The leaf (event) or checkpoint size the failure is about, when there is one. */
  readonly leafIndex?: number;
  readonly treeSize?: number;
  readonly eventId?: string;
  readonly reason: string;
}

export interface RemoteReport {
  readonly ok: boolean;
  readonly origin?: string;
  /** Leaves read and rebuilt (events with a receipt). */
  readonly eventsChecked: number;
  readonly streamsChecked: number;
  readonly checkpoints: number;
  /** The latest checkpoint's size that the rebuilt tree matched (0: none). */
  readonly anchoredSize: number;
  /** Events after it, as the server counts them: present, not verified. */
  readonly unanchored: number;
  /** Whether signatures were checked against pinned keys (false: against the keys the server publishes). */
  readonly pinned: boolean;
  /** The keys the chain reached from the pinned (or published) keys, in order; a retired one with its final position. */
  readonly keys: readonly { readonly keyId: string; readonly pinned: boolean; readonly from?: string; readonly finalPosition?: string; readonly finalCheckpoint?: number }[];
  readonly trusted?: { readonly treeSize: number | null; readonly ok: boolean };
  /** With witness keys: those whose cosignature on the latest checkpoint verified (`name+id`). */
  readonly witnessedBy?: readonly string[];
  readonly failures: readonly RemoteFailure[];
}

export class RemoteError extends Error {
  override readonly name = 'RemoteError';
}

interface ListedCheckpoint {
  readonly treeSize: number;
  readonly rootHash: string;
  readonly note: string;
  readonly eventId?: string;
  /** The checkpoint event's log position, as the server reports it (not sealed). */
  readonly position?: string;
}

type Json = { readonly [key: string]: unknown };
const isObject = (u: unknown): u is Json => typeof u === 'object' && u !== null && !Array.isArray(u);

// Every sealed time a server can hold (Timestamp: years 1..9999); pages by time when one answer is full.
const EPOCH = '0001-01-01T00:00:00.000Z';
const END = '9999-12-31T23:59:59.999Z';
const RECEIPTS_PAGE = 100_000;
const GENESIS = '0'.repeat(64);
const NO_KEY = 'A'.repeat(43) + '=';

interface PublishedKey {
  readonly keyId?: string;
  readonly publicKey?: string;
  readonly noteVerifier?: string;
}

export async function verifyRemote(options: RemoteVerifyOptions): Promise<RemoteReport> {
  const doFetch = options.fetch ?? fetch;
  const base = options.url.replace(/\/+$/, '');
  const get = async (path: string): Promise<Response> => {
    let response: Response;
    try {
      response = await doFetch(`${base}${path}`, { headers: { authorization: `Bearer ${options.token}` } });
    } catch (error) {
      throw new RemoteError(`GET ${base}${path}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`);
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    let detail = text.slice(0, 300);
    try {
      const p = JSON.parse(text) as { code?: string; detail?: string };
      detail = [p.code, p.detail].filter((x) => x !== undefined).join(': ') || detail;
    } catch {
      // not a problem document
    }
    throw new RemoteError(`GET ${base}${path}: ${response.status} ${detail}`);
  };

  const failures: RemoteFailure[] = [];
  const pinned = (options.trustedKeys ?? []).length > 0;

  // Keys: the chain from the pinned keys (none pinned: the published ones) through the sealed rotations.
  // The published list only supplies the note key's name and the public key of a key pinned by its id.
  const published = await (await get('/v1/ledger/keys')).json() as { keys?: PublishedKey[]; rotations?: unknown };
  const publishedKeys = Array.isArray(published.keys) ? published.keys.filter(isObject) as PublishedKey[] : [];
  const rotations = Array.isArray(published.rotations) ? published.rotations : [];
  const anchors = pinned ? pinnedPublicKeys(options.trustedKeys!, publishedKeys, rotations) : publishedKeys.flatMap((k) => (typeof k.publicKey === 'string' ? [k.publicKey] : []));
  const chain = await followPublishedRotations(anchors, rotations);
  const name = noteKeyName(options.trustedKeys ?? [], publishedKeys);
  const noteKeys = name === undefined ? [] : chain.map((l) => verifierString(name, ED25519_NOTE, fromBase64(l.publicKey)!));
  // A note signature line names `name+<8 hex>`: which link of the chain made it.
  const linkOfSigner = new Map(chain.map((l, i) => [noteKeys[i]?.split('+').slice(0, 2).join('+') ?? '', l]));
  const linkOf = new Map(chain.map((l) => [l.keyId, l]));

  // Every checkpoint, smallest first.
  const checkpoints: ListedCheckpoint[] = [];
  for (let path: string | undefined = '/v1/ledger/checkpoints?fromSize=0'; path !== undefined; ) {
    const page = await (await get(path)).json() as { checkpoints?: unknown[]; next?: string };
    for (const c of page.checkpoints ?? []) {
      if (!isObject(c) || typeof c.treeSize !== 'number' || typeof c.rootHash !== 'string' || typeof c.note !== 'string') throw new RemoteError('GET /v1/ledger/checkpoints: an entry lacks treeSize, rootHash or note');
      checkpoints.push({
        treeSize: c.treeSize, rootHash: c.rootHash, note: c.note,
        ...(typeof c.eventId === 'string' ? { eventId: c.eventId } : {}),
        ...(typeof c.position === 'string' ? { position: c.position } : {}),
      });
    }
    path = typeof page.next === 'string' ? page.next : undefined;
  }

  // Every anchored event with its receipt, deduplicated by leaf (pages by sealed time overlap at their edge).
  const receipts: Json[] = [];
  let unanchored = 0;
  let exportSize: number | undefined;
  for (let from = EPOCH; ; ) {
    const response = await get(`/v1/ledger/receipts?${new URLSearchParams({ from, to: END, limit: String(RECEIPTS_PAGE) }).toString()}`);
    const text = await response.text();
    unanchored = Number(response.headers.get('companyos-unanchored') ?? 0);
    exportSize ??= Number(response.headers.get('companyos-tree-size') ?? NaN);
    const lines = text.split('\n').filter((l) => l !== '');
    for (const line of lines) {
      let r: unknown;
      try {
        r = JSON.parse(line);
      } catch {
        failures.push({ reason: `receipts: a line is not JSON: ${line.slice(0, 80)}` });
        continue;
      }
      if (isObject(r)) receipts.push(r);
      else failures.push({ reason: 'receipts: a line is not a JSON object' });
    }
    const last = receipts[receipts.length - 1];
    const sealedAt = isObject(last?.event) ? last.event.sealedAt : undefined;
    if (lines.length < RECEIPTS_PAGE || typeof sealedAt !== 'string' || sealedAt === from) break;
    from = sealedAt;
  }

  // Each receipt on its own: seal, signature, inclusion proof against its checkpoint, by the chain's keys
  // (its own event key kept only for a key the chain does not reach: the seal is still checked, and the key named).
  const checked = receipts.map((r) => {
    const link = isObject(r.event) && typeof r.event.keyId === 'string' ? linkOf.get(r.event.keyId) : undefined;
    const own = isObject(r.keys) ? r.keys : {};
    return link === undefined ? r : { ...r, keys: { ...own, events: [{ keyId: link.keyId, publicKey: link.publicKey }] } };
  });
  // No key reached (a pin the server knows nothing of): a key that signed nothing, so nothing verifies.
  const witnesses: { witnessKeys?: readonly string[]; minWitnesses?: number } = (options.witnessKeys ?? []).length === 0 ? {} : { witnessKeys: options.witnessKeys!, ...(options.minWitnesses === undefined ? {} : { minWitnesses: options.minWitnesses }) };
  const reports = await verifyReceipts(checked, { trustedKeys: noteKeys.length > 0 ? noteKeys : [NO_KEY], ...witnesses });
  // The receipts share the latest checkpoint: what its witnesses lack is said once, not at every leaf.
  const isWitnessProblem = (p: string) => p.startsWith('witness cosignature: ') || p.startsWith('checkpoint cosigned by ');
  const witnessProblems = new Set(reports.flatMap((r) => r.problems.filter(isWitnessProblem)));
  for (const p of witnessProblems) failures.push({ ...(exportSize === undefined || Number.isNaN(exportSize) ? {} : { treeSize: exportSize }), reason: `latest checkpoint: ${p}` });
  const byLeaf = new Map<number, Json>();
  reports.forEach((report, i) => {
    const r = receipts[i]!;
    const leafIndex = typeof r.leafIndex === 'number' ? r.leafIndex : undefined;
    const eventId = isObject(r.event) && typeof r.event.id === 'string' ? r.event.id : undefined;
    const problems = report.problems.filter((p) => !isWitnessProblem(p));
    if (problems.length > 0) failures.push({ ...(leafIndex === undefined ? {} : { leafIndex }), ...(eventId === undefined ? {} : { eventId }), reason: `leaf ${String(leafIndex)} (event ${String(eventId)}): ${problems.join('; ')}` });
    if (leafIndex === undefined) return;
    const seen = byLeaf.get(leafIndex);
    if (seen !== undefined && (seen.event as Json).hash !== (r.event as Json | undefined)?.hash) {
      failures.push({ leafIndex, reason: `leaf ${leafIndex}: the server answered two different events for it` });
    }
    byLeaf.set(leafIndex, r);
  });

  // The checkpoints: each opens with the keys, under one tenant's origin, and says what the list says.
  const latest = checkpoints[checkpoints.length - 1];
  const size = Math.max(exportSize !== undefined && Number.isFinite(exportSize) ? exportSize : 0, latest?.treeSize ?? 0);
  const roots = new Map<number, { root: Uint8Array; note: string }>();
  const signedCheckpoints: (ListedCheckpoint & { readonly signer: PublishedKeyLink })[] = [];
  let origin: string | undefined;
  for (const c of checkpoints) {
    const opened = await openCheckpointNote(c.note, noteKeys, origin);
    if (!opened.ok) {
      failures.push({ treeSize: c.treeSize, reason: `checkpoint ${c.treeSize}: ${opened.reason}${pinned ? ' (with the pinned keys)' : ''}` });
      continue;
    }
    const { checkpoint } = opened.value;
    origin ??= checkpoint.origin;
    if (options.tenant !== undefined && !checkpoint.origin.endsWith(`/${options.tenant}`)) {
      failures.push({ treeSize: c.treeSize, reason: `checkpoint ${c.treeSize}: origin ${checkpoint.origin} is not the log of tenant ${options.tenant} (the token names another tenant)` });
      continue;
    }
    if (checkpoint.size !== c.treeSize || toBase64(checkpoint.root) !== c.rootHash) {
      failures.push({ treeSize: c.treeSize, reason: `checkpoint ${c.treeSize}: the list's treeSize/rootHash disagree with its signed note` });
      continue;
    }
    roots.set(checkpoint.size, { root: checkpoint.root, note: c.note });
    const signer = opened.value.signedBy.map((k) => linkOfSigner.get(k)).find((l) => l !== undefined);
    if (signer !== undefined) signedCheckpoints.push({ ...c, signer });
  }

  // Each retired key's final checkpoint in this tenant: the largest it signed at or before its final position.
  const finalCheckpoint = new Map<string, number>();
  for (const { treeSize, position, signer } of signedCheckpoints) {
    if (signer.finalPosition === undefined) continue;
    if (position !== undefined && BigInt(position) > signer.finalPosition) {
      failures.push({ treeSize, reason: `checkpoint ${treeSize}: signed by retired key ${signer.keyId} at position ${position}, beyond its final position ${signer.finalPosition}: a forgery` });
      continue;
    }
    finalCheckpoint.set(signer.keyId, Math.max(finalCheckpoint.get(signer.keyId) ?? 0, treeSize));
  }
  for (const { treeSize, signer } of signedCheckpoints) {
    const predecessor = signer.from === undefined ? undefined : finalCheckpoint.get(signer.from);
    if (predecessor !== undefined && treeSize <= predecessor) failures.push({ treeSize, reason: `checkpoint ${treeSize}: signed by ${signer.keyId}, within its predecessor ${signer.from}'s final checkpoint ${predecessor}: before the rotation that introduced it` });
  }

  // A kept checkpoint: opened now, so the rebuild keeps the root at its size too.
  const kept = options.trustedCheckpoint === undefined ? undefined : await openCheckpointNote(options.trustedCheckpoint, noteKeys);
  const keptSize = kept?.ok ? kept.value.checkpoint.size : undefined;
  let keptRoot: Uint8Array | undefined;

  // The leaves: each of 0..size-1 exactly once, then the tree rebuilt and held against every checkpoint.
  const range = new CompactRange();
  const streams = new Map<string, { revision: number; hash: string }>();
  let anchoredSize = 0;
  let missing = 0;
  const matchAt = (n: number): void => {
    if (n === keptSize) keptRoot = range.root();
    const c = roots.get(n);
    if (c === undefined) return;
    if (equalBytes(range.root(), c.root)) anchoredSize = Math.max(anchoredSize, n);
    else failures.push({ treeSize: n, reason: `checkpoint ${n}: the first ${n} events the server answered are not what it committed to (an event removed, inserted, changed or reordered)` });
  };
  matchAt(0);
  for (let leafIndex = 0; leafIndex < size; leafIndex++) {
    const r = byLeaf.get(leafIndex);
    const event = r === undefined ? undefined : (r.event as Json);
    const input = typeof event?.hash === 'string' ? fromHex(event.hash) : undefined;
    if (event === undefined || input === undefined || input.length !== 32) {
      if (missing++ === 0) failures.push({ leafIndex, reason: `leaf ${leafIndex} is missing from the server's answer: an event of the tenant's tree was left out (the tree cannot be rebuilt past it)` });
      continue;
    }
    if (missing > 0) continue;
    range.append(leafHash(input));
    chainStep(streams, event, leafIndex, failures);
    keyStep(event, leafIndex, linkOf, finalCheckpoint, failures);
    const cp = checkpoints.find((c) => c.eventId === event.id);
    if (cp !== undefined && cp.treeSize > leafIndex) failures.push({ leafIndex, treeSize: cp.treeSize, reason: `checkpoint ${cp.treeSize} is sealed at leaf ${leafIndex}, before events it committed to` });
    matchAt(range.size);
  }
  if (missing > 1) failures.push({ reason: `${missing} leaves missing in all` });
  for (const c of checkpoints) {
    if (c.treeSize > range.size && roots.has(c.treeSize)) failures.push({ treeSize: c.treeSize, reason: `checkpoint ${c.treeSize}: the server answered ${range.size} verifiable leaves, fewer than it committed to` });
  }

  const trusted = kept === undefined ? undefined : await checkTrusted(options.trustedCheckpoint!, kept, keptRoot, noteKeys, latest, get, failures);
  return {
    ok: failures.length === 0 && (trusted === undefined || trusted.ok),
    ...(origin === undefined ? {} : { origin }),
    eventsChecked: range.size,
    streamsChecked: streams.size,
    checkpoints: checkpoints.length,
    anchoredSize,
    unanchored,
    pinned,
    keys: chain.map((l) => ({
      keyId: l.keyId, pinned: l.pinned,
      ...(l.from === undefined ? {} : { from: l.from }),
      ...(l.finalPosition === undefined ? {} : { finalPosition: String(l.finalPosition) }),
      ...(finalCheckpoint.has(l.keyId) ? { finalCheckpoint: finalCheckpoint.get(l.keyId)! } : {}),
    })),
    ...(trusted === undefined ? {} : { trusted }),
    ...(witnesses.witnessKeys === undefined ? {} : { witnessedBy: reports.find((r) => r.witnessedBy.length > 0)?.witnessedBy ?? [] }),
    failures,
  };
}

/** One event joins its stream's chain: revision next after the last, prevHash the last hash (genesis first). */
function chainStep(streams: Map<string, { revision: number; hash: string }>, event: Json, leafIndex: number, failures: RemoteFailure[]): void {
  if (typeof event.stream !== 'string' || typeof event.revision !== 'number') {
    failures.push({ leafIndex, reason: `leaf ${leafIndex}: event has no stream or revision` });
    return;
  }
  const last = streams.get(event.stream);
  const expected = last === undefined ? 0 : last.revision + 1;
  const id = String(event.id);
  if (event.revision !== expected) failures.push({ leafIndex, eventId: id, reason: `${event.stream} revision ${event.revision} (leaf ${leafIndex}, event ${id}): expected revision ${expected} (an event of the stream is missing or out of order)` });
  else if (event.prevHash !== (last?.hash ?? GENESIS)) failures.push({ leafIndex, eventId: id, reason: `${event.stream} revision ${event.revision} (leaf ${leafIndex}, event ${id}): broken link, prevHash is not the previous event's hash` });
  streams.set(event.stream, { revision: event.revision, hash: String(event.hash) });
}

/**
 * The key that sealed the event at `leafIndex` may have: the chain reaches it; retired, the leaf is within
 * its final checkpoint (the checkpoint's own event, sealed by it, is leaf `treeSize`); introduced by a
 * rotation, the leaf is after its predecessor's final checkpoint.
 */
function keyStep(event: Json, leafIndex: number, linkOf: ReadonlyMap<string, PublishedKeyLink>, finalCheckpoint: ReadonlyMap<string, number>, failures: RemoteFailure[]): void {
  const keyId = String(event.keyId);
  const id = String(event.id);
  const at = `leaf ${leafIndex} (event ${id})`;
  const link = linkOf.get(keyId);
  if (link === undefined) {
    failures.push({ leafIndex, eventId: id, reason: `${at}: signed by ${keyId}, a key the chain from the pinned key(s) does not reach` });
    return;
  }
  if (link.finalPosition !== undefined) {
    const final = finalCheckpoint.get(keyId);
    if (final === undefined) failures.push({ leafIndex, eventId: id, reason: `${at}: signed by retired key ${keyId}, of which this tenant's log holds no final checkpoint (its final position ${link.finalPosition}): nothing it signed here is anchored by it` });
    else if (leafIndex > final) failures.push({ leafIndex, eventId: id, reason: `${at}: signed by retired key ${keyId} beyond its final checkpoint ${final} (retired at ${link.retiredAt ?? '?'}): a forgery, whatever its sealedAt says` });
  }
  const predecessor = link.from === undefined ? undefined : finalCheckpoint.get(link.from);
  if (predecessor !== undefined && leafIndex < predecessor) failures.push({ leafIndex, eventId: id, reason: `${at}: signed by ${keyId} within its predecessor ${link.from}'s final checkpoint ${predecessor}: before the rotation that introduced it` });
}

/** A kept checkpoint: its root is the rebuilt tree's at its size, and the server proves the latest extends it. */
async function checkTrusted(
  note: string,
  opened: Awaited<ReturnType<typeof openCheckpointNote>>,
  rebuiltRoot: Uint8Array | undefined,
  noteKeys: readonly string[],
  latest: ListedCheckpoint | undefined,
  get: (path: string) => Promise<Response>,
  failures: RemoteFailure[],
): Promise<{ treeSize: number | null; ok: boolean }> {
  if (!opened.ok) {
    failures.push({ reason: `trusted checkpoint: ${opened.reason}` });
    return { treeSize: null, ok: false };
  }
  const { size, root } = opened.value.checkpoint;
  const fail = (reason: string) => {
    failures.push({ treeSize: size, reason: `trusted checkpoint ${size}: ${reason}` });
    return { treeSize: size, ok: false };
  };
  if (latest === undefined || latest.treeSize < size) return fail(`the server's latest checkpoint is ${latest?.treeSize ?? 'none'}, smaller: the log was rolled back or truncated`);
  if (rebuiltRoot === undefined) return fail('the server answered fewer verifiable leaves than it committed to');
  if (!equalBytes(rebuiltRoot, root)) return fail(`the first ${size} events the server answered are not what it committed to (removed, inserted, changed or reordered; or a fork)`);
  if (size > 0 && size < latest.treeSize) {
    const proof = await (await get(`/v1/ledger/proofs/consistency?from=${size}&to=${latest.treeSize}`)).json() as { hashes?: unknown };
    const hashes = Array.isArray(proof.hashes) ? proof.hashes.filter((h): h is string => typeof h === 'string') : [];
    const step = await verifyCheckpointStep(note, latest.note, hashes, noteKeys);
    if (!step.ok) return fail(step.reason);
  }
  return { treeSize: size, ok: true };
}

/**
 * The raw public keys (base64) of the pinned keys: a verifier string's or a raw key as given; a key id by the
 * public key it was derived from, found among the published keys or in a rotation (the id is the pin).
 */
function pinnedPublicKeys(trusted: readonly string[], published: readonly PublishedKey[], rotations: readonly unknown[]): string[] {
  const known = new Set<string>(published.flatMap((p) => (typeof p.publicKey === 'string' ? [p.publicKey] : [])));
  for (const r of rotations) {
    const data = isObject(r) && isObject(r.data) ? r.data : {};
    for (const k of [data.retiredPublicKey, data.nextPublicKey]) if (typeof k === 'string') known.add(k);
  }
  const out = new Set<string>();
  for (const key of trusted) {
    const parsed = parseVerifierString(key);
    if (parsed.ok) {
      out.add(toBase64(parsed.value.publicKey));
      continue;
    }
    const raw = fromBase64(key);
    if (raw !== undefined && raw.length === 32) {
      out.add(toBase64(raw));
      continue;
    }
    for (const k of known) {
      const bytes = fromBase64(k);
      if (bytes !== undefined && bytes.length === 32 && eventKeyIdOf(bytes) === key) out.add(k);
    }
  }
  return [...out];
}

/** The log's note key name: a pinned verifier string's, else the published keys'. */
function noteKeyName(trusted: readonly string[], published: readonly PublishedKey[]): string | undefined {
  for (const k of [...trusted, ...published.map((p) => p.noteVerifier)]) {
    const parsed = typeof k === 'string' ? parseVerifierString(k) : undefined;
    if (parsed?.ok && parsed.value.type === ED25519_NOTE) return parsed.value.name;
  }
  return undefined;
}
