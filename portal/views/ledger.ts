// Ledger view: "Is the log this browser sees the one it saw before, signed by the log's key?" The latest
// checkpoint (size, root, signers, witnesses' cosignatures), verified here: its signature and the witnesses'
// lines with the keys GET /v1/ledger/keys publishes (the log's, and the witnesses the operator configured),
// and a consistency proof from the last checkpoint this browser accepted (localStorage). A fork or a
// rollback turns the view red, naming both sizes, and the kept checkpoint stays.
import { getJson, type ApiError } from '../api.js';
import { html } from '../html.js';
import { checkLedger, cosignersOf, type LedgerCheck } from '../ledger-check.js';
import type { Session } from '../session.js';
import { useLoad } from '../use-load.js';
import { Problem } from './problem.js';

const keptKey = (tenant: string) => `companyos.portal.checkpoint.${tenant}`;

interface LedgerState {
  readonly checkpoint: { treeSize: number; rootHash: string; note: string; accessEventId: string };
  readonly keys: readonly string[];
  readonly logKeyNames: readonly string[];
  readonly check: LedgerCheck;
  readonly keptBefore?: number;
}

async function loadLedger(session: Session): Promise<LedgerState> {
  const [published, checkpoint] = await Promise.all([
    getJson<{ keys: { noteVerifier?: string }[]; witnesses?: string[] }>(undefined, '/v1/ledger/keys'),
    getJson<LedgerState['checkpoint']>(session, '/v1/evidence/checkpoint'),
  ]);
  const logKeys = published.keys.flatMap((k) => (k.noteVerifier === undefined ? [] : [k.noteVerifier]));
  // The witnesses the server publishes: their cosignature lines are then checked too (a bad one fails the note).
  const keys = [...logKeys, ...(published.witnesses ?? [])];
  const kept = localStorage.getItem(keptKey(session.tenant)) ?? undefined;
  const check = await checkLedger({
    latest: checkpoint.note,
    keys,
    ...(kept === undefined ? {} : { lastSeen: kept }),
    consistency: async (from, to) => (await getJson<{ hashes: string[] }>(session, `/v1/ledger/proofs/consistency?from=${from}&to=${to}`)).hashes,
  });
  // Only a checkpoint that verified replaces the one kept: after a fork the browser still holds the evidence.
  if (check.ok) localStorage.setItem(keptKey(session.tenant), checkpoint.note);
  const keptBefore = kept === undefined ? undefined : Number(kept.split('\n')[1]);
  return { checkpoint, keys, logKeyNames: logKeys.map((k) => k.split('+')[0]!), check, ...(keptBefore === undefined ? {} : { keptBefore }) };
}

export function LedgerView({ session }: { session: Session }) {
  const state = useLoad(() => loadLedger(session), [session.token]);
  const forget = () => {
    localStorage.removeItem(keptKey(session.tenant));
    state.reload();
  };
  return html`<section class="card" aria-labelledby="ledger-h">
    <h2 id="ledger-h">Ledger</h2>
    <p class="question">Is the log this browser sees signed by the log's key, and does it extend what this browser saw before?</p>
    ${state.loading && state.value === undefined ? html`<p class="loading">Verifying in this browser…</p>` : null}
    ${state.error ? html`<${Problem} error=${state.error as ApiError} />` : null}
    ${state.value ? html`<${LedgerFacts} state=${state.value} />` : null}
    <div class="actions">
      <button type="button" onClick=${state.reload}>Check again</button>
      <button type="button" class="secondary" onClick=${forget}>Forget the checkpoint kept here</button>
    </div>
  </section>`;
}

function LedgerFacts({ state }: { state: LedgerState }) {
  const { check, checkpoint } = state;
  const cosigners = cosignersOf(checkpoint.note, state.logKeyNames[0] ?? '');
  return html`
    <p class=${`status ${check.ok ? 'ok' : 'bad'}`} role="status" data-testid="ledger-status">
      ${check.ok ? 'Verified in this browser: ' : 'NOT verified: '}${check.message}
    </p>
    <dl class="facts">
      <dt>Tree size</dt><dd data-testid="tree-size">${checkpoint.treeSize}</dd>
      <dt>Root</dt><dd class="mono">${checkpoint.rootHash}</dd>
      <dt>Signed by</dt><dd>${check.ok ? check.signedBy.join(', ') : '—'}</dd>
      <dt>Witness cosignatures</dt><dd data-testid="witnesses">${cosigners.length === 0 ? html`<span class="muted">none (no witness configured, or none has cosigned this size yet)</span>`
        : cosigners.map((w) => html`<span class="chip">${w}: ${check.ok && check.signedBy.some((s) => s.startsWith(`${w}+`)) ? 'verified here' : 'not verified (key not published)'}</span>`)}</dd>
      <dt>Kept in this browser before</dt><dd>${state.keptBefore === undefined ? 'nothing (first visit)' : `size ${state.keptBefore}`}</dd>
      <dt>This view</dt><dd class="mono">recorded as evidence.view, event ${checkpoint.accessEventId}</dd>
    </dl>
    <details><summary>The checkpoint note</summary><pre tabindex="0" aria-label="The checkpoint note">${checkpoint.note}</pre></details>`;
}
