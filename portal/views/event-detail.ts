// One sealed event, for "what exactly happened here, under which decision, and can I prove it is in the
// log?": the event as sealed, its decision (policy version, determining policies, the reason), and its
// receipt, whose seal, checkpoint signature and inclusion proof this browser verifies with the log's
// published keys. Opening it and downloading the receipt are each recorded (GET /v1/evidence/…).
import { verifyReceipt, type ReceiptReport } from '../../ledger/offline-verifier.js';
import { call, download, getJson } from '../api.js';
import { html } from '../html.js';
import type { Session } from '../session.js';
import { useLoad } from '../use-load.js';
import { Problem } from './problem.js';
import { useState } from 'preact/hooks';

interface Evidence {
  // eslint-disable-next-line @typescript-eslint/no-explicit-any
  event: { id: string; type: string; stream: string; revision: number; sealedAt: string; data: unknown; meta: any };
  receipt?: unknown;
  accessEventId: string;
}

async function loadEvidence(session: Session, eventId: string): Promise<{ evidence: Evidence; report?: ReceiptReport }> {
  const [evidence, published] = await Promise.all([
    getJson<Evidence>(session, `/v1/evidence/events/${encodeURIComponent(eventId)}`),
    getJson<{ keys: { noteVerifier?: string }[] }>(undefined, '/v1/ledger/keys'),
  ]);
  const trustedKeys = published.keys.flatMap((k) => (k.noteVerifier === undefined ? [] : [k.noteVerifier]));
  const report = evidence.receipt === undefined ? undefined : await verifyReceipt(evidence.receipt, { trustedKeys });
  return { evidence, ...(report === undefined ? {} : { report }) };
}

export function EventDetail({ session, eventId, onClose, backLabel = '← Back to the audit index' }: { session: Session; eventId: string; onClose: () => void; backLabel?: string }) {
  const loaded = useLoad(() => loadEvidence(session, eventId), [session.token, eventId]);
  const [downloadError, setDownloadError] = useState<Error | undefined>(undefined);
  const save = async () => {
    try {
      setDownloadError(undefined);
      await download(await call(session, `/v1/evidence/receipts/${encodeURIComponent(eventId)}`), `receipt-${eventId}.json`);
    } catch (error) {
      setDownloadError(error instanceof Error ? error : new Error(String(error)));
    }
  };
  const value = loaded.value;
  const decision = value?.evidence.event.meta?.decision;
  return html`<section class="card" aria-labelledby="event-h">
    <div class="actions"><button type="button" class="secondary" onClick=${onClose}>${backLabel}</button></div>
    <h2 id="event-h">Sealed event <span class="mono">${eventId}</span></h2>
    <p class="question">What exactly happened, under which decision, and is it provably in the log?</p>
    ${loaded.error ? html`<${Problem} error=${loaded.error} />` : null}
    ${loaded.loading && value === undefined ? html`<p class="loading">Fetching and verifying…</p>` : null}
    ${value ? html`
      ${value.report === undefined
        ? html`<p class="status info" data-testid="receipt-status">No receipt yet: no checkpoint covers this event so far (the next one will, within moments).</p>`
        : html`<p class=${`status ${value.report.ok ? 'ok' : 'bad'}`} data-testid="receipt-status" role="status">
            ${value.report.ok
              ? `Receipt verified in this browser: leaf ${value.report.leafIndex} of ${value.report.origin} at size ${value.report.treeSize}, checkpoint signed by ${(value.report.checkpointSignedBy ?? []).join(', ')}`
              : `Receipt does NOT verify: ${value.report.problems.join('; ')}`}
          </p>`}
      <dl class="facts">
        <dt>Type</dt><dd>${value.evidence.event.type}</dd>
        <dt>Stream, revision</dt><dd class="mono">${value.evidence.event.stream} @ ${value.evidence.event.revision}</dd>
        <dt>Sealed at</dt><dd>${value.evidence.event.sealedAt}</dd>
        <dt>Actor</dt><dd>${value.evidence.event.meta?.actor?.id} (${value.evidence.event.meta?.actor?.type})</dd>
        <dt>Decision</dt><dd class="mono">${decision?.id}</dd>
        <dt>Policy version</dt><dd class="mono">${decision?.policyVersion}</dd>
        <dt>Determining policies</dt><dd>${(decision?.determiningPolicies ?? []).map((p: string) => html`<span class="chip">${p}</span>`)}</dd>
        <dt>Reason</dt><dd>${value.evidence.event.meta?.reason ?? '—'}</dd>
        <dt>Provenance</dt><dd data-testid="provenance"><span class="chip">source ${value.evidence.event.meta?.sourceSystem}</span><span class="chip">observed ${value.evidence.event.meta?.observedAt}</span>
          <span class="chip">effective ${value.evidence.event.meta?.effectiveAt}</span><span class="chip">confidence ${value.evidence.event.meta?.confidence}</span>
          ${(value.evidence.event.meta?.evidenceRefs ?? []).map((r: string) => html`<span class="chip">${r}</span>`)}</dd>
        <dt>This view</dt><dd class="mono">recorded as evidence.view, event ${value.evidence.accessEventId}</dd>
      </dl>
      <div class="actions">
        <button type="button" onClick=${save} disabled=${value.evidence.receipt === undefined}>Download the receipt</button>
        ${downloadError ? html`<span class="error" role="alert">${downloadError.message}</span>` : null}
      </div>
      <h3>The event as sealed</h3>
      <pre data-testid="sealed-event" tabindex="0" aria-label="The sealed event, as JSON">${JSON.stringify(value.evidence.event, null, 2)}</pre>` : null}
  </section>`;
}
