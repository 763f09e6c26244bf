// Completeness: what per-stream chains cannot see. Rebuilds a tenant's tree (RFC 6962, leaves = the hashes of
// the tenant's events in log order, as projections/tree does) from the events the log returns, and holds
// every signed checkpoint the log carries (ledger.checkpoint.signed on <tenant>/ledger) against it: the note
// must open with a key of the keyring under the log's origin, commit to no leaf at or after its own, agree
// with its event's fields, and its root must be the rebuilt tree's root at its size. A removed, inserted,
// reordered or moved event before a checkpoint changes that root; events after the last good checkpoint are
// reported as an unanchored tail (their count), not as verified. A checkpoint the caller kept (a client's,
// a witness's) is checked the same way and catches a rollback of everything, checkpoints included.
import { isLeft } from 'fp-ts/lib/Either.js';
import type { EventLog, RecordedEvent } from '../adapters/event-log/index.js';
import { toBase64, equalBytes } from '../ledger/bytes.js';
import { openCheckpoint } from '../ledger/checkpoint-note.js';
import { fromRecordedEvent, type EventCheck, type Keyring } from '../ledger/index.js';
import { CompactRange, leafHash, rootOf, rootPlan, type Hash } from '../ledger/merkle.js';
import { ed25519NoteVerifier } from '../ledger/signed-note.js';
import { CHECKPOINT_EVENT_TYPE, CheckpointSignedData } from '../schemas/checkpoint-event.js';
import { formatValidationErrors } from '../schemas/validation.js';
import { ledgerStream, tenantStreamPrefix } from '../schemas/streams.js';
import { tenantOrigin } from './checkpointer.js';

export interface TreeFailure {
  /** The checkpoint's claimed size (null when its note does not say). */
  readonly treeSize: number | null;
  /** The checkpoint event (absent for a trusted checkpoint given by the caller). */
  readonly eventId?: string;
  readonly reason: string;
}

export interface TreeReport {
  /** Leaves rebuilt from the events read. */
  readonly treeSize: number;
  /** Checkpoint events found in the tenant's log. */
  readonly checkpoints: number;
  /** The largest size a checkpoint verified at (0: none). */
  readonly anchoredSize: number;
  /** Leaves after it: present, but no verified checkpoint commits to them yet. */
  readonly unanchored: number;
  readonly failures: readonly TreeFailure[];
  /** With a trusted checkpoint: whether the log still holds exactly what it committed to. */
  readonly trusted?: { readonly treeSize: number | null; readonly ok: boolean };
}

/** Every perfect subtree's hash, packed per level (32 bytes each): a root at any past size in O(log n). */
class PackedSubtrees {
  readonly #levels: Uint8Array[] = [];
  readonly #counts: number[] = [];

  add(level: number, index: number, hash: Hash): void {
    let buf = this.#levels[level] ?? new Uint8Array(32 * 1024);
    if ((index + 1) * 32 > buf.length) {
      const grown = new Uint8Array(Math.max(buf.length * 2, (index + 1) * 32));
      grown.set(buf);
      buf = grown;
    }
    this.#levels[level] = buf;
    buf.set(hash, index * 32);
    this.#counts[level] = Math.max(this.#counts[level] ?? 0, index + 1);
  }

  rootAt(size: number): Hash {
    return rootOf(rootPlan(size).map((n) => this.#levels[n.level]!.slice(n.index * 32, n.index * 32 + 32)));
  }
}

interface CheckpointSeen {
  readonly leafIndex: number;
  readonly eventId: string;
  readonly data: unknown;
}

/** Feed the tenant's events in log order (a tenant-prefix read), then `finish`. Memory: 64 bytes per event. */
export class TreeRebuilder {
  readonly #tenant: string;
  readonly #keyring: Keyring;
  readonly #logOrigin: string;
  readonly #range = new CompactRange();
  readonly #subtrees = new PackedSubtrees();
  readonly #checkpoints: CheckpointSeen[] = [];
  #noteKeys: Keyring | undefined;

  constructor(tenant: string, keyring: Keyring, logOrigin: string) {
    this.#tenant = tenant;
    this.#keyring = keyring;
    this.#logOrigin = logOrigin;
  }

  add(r: RecordedEvent): void {
    const decoded = fromRecordedEvent(r);
    if (isLeft(decoded)) return;
    this.addSealed(r, decoded.right.tenant, decoded.right.hash);
  }

  /**
   * The same, for an event already decoded elsewhere (ledger/verify.ts EventCheck: tenant and hash are set
   * when its envelope decodes): the tree rebuilt from the chain verification's own read.
   */
  addChecked(r: RecordedEvent, check: EventCheck): void {
    if (check.tenant !== undefined && check.hash !== undefined) this.addSealed(r, check.tenant, check.hash);
  }

  addSealed(r: RecordedEvent, tenant: string, hash: string): void {
    // A leaf per event sealed for this tenant whose envelope decodes, as the tree read model counts them (the
    // projector skips one that does not as a fault); the chains name both an event moved here from another
    // tenant and one that does not decode.
    if (tenant !== this.#tenant) return;
    const leafIndex = this.#range.size;
    for (const c of this.#range.append(leafHash(Buffer.from(hash, 'hex')))) this.#subtrees.add(c.level, c.index, c.hash);
    if (r.type === CHECKPOINT_EVENT_TYPE && r.stream === ledgerStream(this.#tenant)) this.#checkpoints.push({ leafIndex, eventId: r.id, data: r.data });
  }

  /** `noteKeys`: keys that also open checkpoint notes (the chain's reach from the pinned keys), beside the keyring's. */
  async finish(options: { readonly trustedCheckpoint?: string; readonly noteKeys?: Keyring } = {}): Promise<TreeReport> {
    if (options.noteKeys !== undefined) this.#noteKeys = options.noteKeys;
    const treeSize = this.#range.size;
    const failures: TreeFailure[] = [];
    let anchoredSize = 0;
    for (const c of this.#checkpoints) {
      const checked = await this.#check(c.data, c.leafIndex);
      if (typeof checked === 'number') anchoredSize = Math.max(anchoredSize, checked);
      else failures.push({ ...checked, eventId: c.eventId });
    }
    const report = { treeSize, checkpoints: this.#checkpoints.length, anchoredSize, unanchored: treeSize - anchoredSize, failures };
    if (options.trustedCheckpoint === undefined) return report;
    const trusted = await this.#checkTrusted(options.trustedCheckpoint);
    return {
      ...report,
      failures: typeof trusted === 'number' ? failures : [...failures, trusted],
      trusted: { treeSize: typeof trusted === 'number' ? trusted : trusted.treeSize, ok: typeof trusted === 'number' },
    };
  }

  /** The size a checkpoint event verified at, or why it does not. */
  async #check(data: unknown, leafIndex: number): Promise<number | TreeFailure> {
    const decoded = CheckpointSignedData.decode(data);
    if (isLeft(decoded)) return { treeSize: null, reason: `checkpoint event at leaf ${leafIndex} is malformed: ${formatValidationErrors(decoded.left).join('; ')}` };
    const d = decoded.right;
    const opened = await this.#open(d.note);
    if (typeof opened === 'string') return { treeSize: d.treeSize, reason: `checkpoint at leaf ${leafIndex}: ${opened}` };
    const { size, root } = opened;
    if (size !== d.treeSize || d.rootHash !== toBase64(root)) return { treeSize: size, reason: `checkpoint at leaf ${leafIndex}: its event's treeSize/rootHash disagree with its signed note` };
    if (size > leafIndex) {
      return { treeSize: size, reason: `checkpoint ${size} (leaf ${leafIndex}): at least ${size - leafIndex} of the events it committed to are not before it any more (removed, moved or reordered)` };
    }
    return this.#matches(size, root, `checkpoint ${size} (leaf ${leafIndex})`);
  }

  async #checkTrusted(note: string): Promise<number | TreeFailure> {
    const opened = await this.#open(note);
    if (typeof opened === 'string') return { treeSize: null, reason: `trusted checkpoint: ${opened}` };
    return this.#matches(opened.size, opened.root, `trusted checkpoint ${opened.size}`);
  }

  #matches(size: number, root: Hash, what: string): number | TreeFailure {
    if (size > this.#range.size) {
      return { treeSize: size, reason: `${what}: the log holds ${this.#range.size} events of tenant ${this.#tenant}, fewer than it committed to (deleted, or rolled back)` };
    }
    if (!equalBytes(this.#subtrees.rootAt(size), root)) {
      return { treeSize: size, reason: `${what}: the log's first ${size} events of tenant ${this.#tenant} are not what it committed to (an event removed, inserted, changed, reordered or moved)` };
    }
    return size;
  }

  /** The checkpoint's size and root when its note opens with a keyring (or chain) key under this tenant's origin. */
  async #open(note: string): Promise<{ size: number; root: Hash } | string> {
    const keys = new Map(this.#keyring.entries.map((e) => [e.keyId, e.publicKey] as const));
    for (const e of this.#noteKeys?.entries ?? []) if (!keys.has(e.keyId)) keys.set(e.keyId, e.publicKey);
    const verifiers = [...keys.values()].map((publicKey) => ed25519NoteVerifier(this.#logOrigin, publicKey));
    const opened = await openCheckpoint(note, verifiers, tenantOrigin(this.#logOrigin, this.#tenant));
    if (!opened.ok) return `its note does not open: ${opened.reason}`;
    return { size: opened.value.checkpoint.size, root: opened.value.checkpoint.root };
  }
}

const PAGE = 1000;

/**
 * Reads `tenant`'s events in log order and holds its tree against every checkpoint its log carries (and
 * `trustedCheckpoint`, a note the caller kept, when given).
 */
export async function verifyTenantTree(
  log: EventLog,
  keyring: Keyring,
  tenant: string,
  logOrigin: string,
  options: { readonly trustedCheckpoint?: string } = {},
): Promise<TreeReport> {
  const rebuilder = new TreeRebuilder(tenant, keyring, logOrigin);
  const filter = { streamPrefixes: [tenantStreamPrefix(tenant)] };
  for (let after: bigint | undefined; ; ) {
    const page = await log.readAll({ ...(after === undefined ? {} : { after }), maxCount: PAGE, filter });
    for (const r of page) rebuilder.add(r);
    if (page.length < PAGE) break;
    after = page[page.length - 1]!.position;
  }
  return rebuilder.finish(options);
}
