// Audit view: "Who did what to which resource, when, and was it allowed?" The tenant's audit index
// (GET /v1/audit/events), searched by actor, resource, action, outcome and time, newest first, a page at a
// time. A row opens the sealed event (views/event-detail.ts), which records that view.
import { useState } from 'preact/hooks';
import { getJson } from '../api.js';
import { html } from '../html.js';
import type { Session } from '../session.js';
import { useLoad } from '../use-load.js';
import { EventDetail } from './event-detail.js';
import { Problem } from './problem.js';

interface AuditEntry {
  time: string; actorId: string; action: string; resource: string; outcome: 'allowed' | 'denied'; eventId: string; policyVersion: string; reason: string;
}
interface Filters { actor: string; resource: string; action: string; outcome: string; from: string; to: string }
const EMPTY: Filters = { actor: '', resource: '', action: '', outcome: '', from: '', to: '' };
const PAGE = 25;

/** datetime-local (the browser's local time) → RFC 3339 UTC. */
const utc = (local: string): string => new Date(local).toISOString();

function queryOf(f: Filters, cursor: string | undefined): string {
  const q = new URLSearchParams({ limit: String(PAGE) });
  for (const k of ['actor', 'resource', 'action', 'outcome'] as const) if (f[k] !== '') q.set(k, f[k]);
  if (f.from !== '') q.set('from', utc(f.from));
  if (f.to !== '') q.set('to', utc(f.to));
  if (cursor !== undefined) q.set('cursor', cursor);
  return q.toString();
}

export function AuditView({ session, open, onOpen }: { session: Session; open?: string; onOpen: (eventId?: string) => void }) {
  const [draft, setDraft] = useState<Filters>(EMPTY);
  const [filters, setFilters] = useState<Filters>(EMPTY);
  // The cursors of the pages before this one: Previous pops one.
  const [cursors, setCursors] = useState<(string | undefined)[]>([undefined]);
  const cursor = cursors[cursors.length - 1];
  // Each Search asks again, even with the same filters: the index follows the log, so a second look can find more.
  const [searches, setSearches] = useState(0);
  const page = useLoad(() => getJson<{ events: AuditEntry[]; nextCursor?: string }>(session, `/v1/audit/events?${queryOf(filters, cursor)}`), [session.token, filters, cursor, searches]);
  const set = (k: keyof Filters) => (e: Event) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement).value });
  const search = (e: Event) => {
    e.preventDefault();
    setFilters(draft);
    setCursors([undefined]);
    setSearches(searches + 1);
  };
  if (open !== undefined) return html`<${EventDetail} session=${session} eventId=${open} onClose=${() => onOpen(undefined)} />`;
  return html`<section class="card" aria-labelledby="audit-h">
    <h2 id="audit-h">Audit</h2>
    <p class="question">Who did what to which resource, when, and was it allowed?</p>
    <form class="filters" onSubmit=${search} aria-label="Search the audit index">
      <label>Actor<input name="actor" value=${draft.actor} onInput=${set('actor')} placeholder="user:dana" /></label>
      <label>Resource<input name="resource" value=${draft.resource} onInput=${set('resource')} placeholder="demo/graph.node/…" /></label>
      <label>Action<input name="action" value=${draft.action} onInput=${set('action')} placeholder="evidence.view" /></label>
      <label>Outcome<select name="outcome" value=${draft.outcome} onChange=${set('outcome')}>
        <option value="">any</option><option value="allowed">allowed</option><option value="denied">denied</option>
      </select></label>
      <label>From<input type="datetime-local" name="from" value=${draft.from} onInput=${set('from')} /></label>
      <label>To<input type="datetime-local" name="to" value=${draft.to} onInput=${set('to')} /></label>
      <button type="submit">Search</button>
    </form>
    ${page.error ? html`<${Problem} error=${page.error} />` : null}
    ${page.loading && page.value === undefined ? html`<p class="loading">Reading the audit index…</p>` : null}
    ${page.value ? html`
      <table data-testid="audit-table">
        <caption class="sr-only">Audit entries, newest first</caption>
        <thead><tr><th scope="col">Time (UTC)</th><th scope="col">Actor</th><th scope="col">Action</th><th scope="col">Resource</th><th scope="col">Outcome</th></tr></thead>
        <tbody>
          ${page.value.events.map((e) => html`<tr class="row" tabindex="0" key=${e.eventId}
              onClick=${() => onOpen(e.eventId)} onKeyDown=${(k: KeyboardEvent) => (k.key === 'Enter' || k.key === ' ') && (k.preventDefault(), onOpen(e.eventId))}
              aria-label=${`${e.action} by ${e.actorId} on ${e.resource}: ${e.outcome}. Open the sealed event`}>
            <td class="mono">${e.time.replace('T', ' ').replace('Z', '')}</td><td>${e.actorId}</td><td>${e.action}</td>
            <td class="mono">${e.resource}</td><td class=${e.outcome}>${e.outcome}</td></tr>`)}
        </tbody>
      </table>
      ${page.value.events.length === 0 ? html`<p class="muted">No entries match. (The index follows the log within moments.)</p>` : null}
      <div class="pager">
        <button type="button" class="secondary" disabled=${cursors.length <= 1} onClick=${() => setCursors(cursors.slice(0, -1))}>Previous page</button>
        <span class="muted">page ${cursors.length}</span>
        <button type="button" class="secondary" disabled=${page.value.nextCursor === undefined} onClick=${() => setCursors([...cursors, page.value!.nextCursor])}>Next page</button>
      </div>` : null}
  </section>`;
}
