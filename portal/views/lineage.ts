// Lineage view: "Where did this come from, and what does it feed?" A node's neighbourhood in the provenance
// graph (GET /v1/graph/related: depth ≤ 3, direction, edge types, as-of time) drawn as columns by hop, a
// provenance chip on each edge (edge type, source system and confidence drawn; a button whose label also
// names the actor, observed and effective time, reachable by Tab), and a list of the edges with the same
// provenance as labelled chips: opening one shows the sealed event that asserted it (its full envelope and
// evidence), with its seal and inclusion proof verified here (views/event-detail.ts).
import { useState } from 'preact/hooks';
import { getJson } from '../api.js';
import { html } from '../html.js';
import type { Session } from '../session.js';
import { useLoad } from '../use-load.js';
import { EventDetail } from './event-detail.js';
import { Problem } from './problem.js';

interface Provenance { actor: { id: string }; sourceSystem: string; observedAt: string; effectiveAt: string; confidence: number; event: { id: string } }
interface GraphNode { id: string; type: string }
interface Item { node: GraphNode; depth: number; edge: { type: string; from: string; to: string }; provenance: Provenance }
interface Related { root: GraphNode; items: Item[] }
interface Query { id: string; depth: string; direction: string; types: string; asOf: string }

const BOX = { w: 190, h: 34, col: 420, row: 80, pad: 24 };
/** Where along an edge (from its left end) its chip sits: off the middle, so the chips of two crossing edges part. */
const CHIP_AT = 0.7;

const edgeName = (i: Item) => `${i.edge.from} ${i.edge.type} ${i.edge.to}`;
/** Everything the chips say, as one sentence: the edge chip's tooltip, and its accessible name after what it shows. */
const provenanceText = (p: Provenance) =>
  `source ${p.sourceSystem}, actor ${p.actor.id}, observed ${p.observedAt}, effective ${p.effectiveAt}, confidence ${p.confidence}`;
/** Enter or Space on a focusable SVG element acts as a click. */
const activate = (go: () => void) => (k: KeyboardEvent) => (k.key === 'Enter' || k.key === ' ') && (k.preventDefault(), go());

/** The edge's provenance as labelled chips (the table's). A confidence below 1 is marked. */
function ProvenanceChips({ p }: { p: Provenance }) {
  return html`<span class="chip">source ${p.sourceSystem}</span><span class="chip">actor ${p.actor.id}</span>
    <span class="chip">observed ${p.observedAt}</span><span class="chip">effective ${p.effectiveAt}</span>
    <span class=${p.confidence < 1 ? 'chip unsure' : 'chip'} data-testid="confidence-chip">confidence ${p.confidence}</span>`;
}

function queryOf(q: Query): string {
  const p = new URLSearchParams({ id: q.id, depth: q.depth, direction: q.direction });
  if (q.types.trim() !== '') p.set('types', q.types.trim());
  if (q.asOf !== '') p.set('asOf', new Date(q.asOf).toISOString());
  return p.toString();
}

/** Columns by hop from the root; each node once, at its first (nearest) hop. */
function layout(r: Related) {
  const at = new Map<string, { x: number; y: number; node: GraphNode }>();
  const perColumn: number[] = [];
  const place = (node: GraphNode, depth: number) => {
    if (at.has(node.id)) return;
    const row = (perColumn[depth] = (perColumn[depth] ?? 0) + 1) - 1;
    at.set(node.id, { x: BOX.pad + depth * BOX.col, y: BOX.pad + row * BOX.row, node });
  };
  place(r.root, 0);
  for (const i of [...r.items].sort((a, b) => a.depth - b.depth)) place(i.node, i.depth);
  const rows = Math.max(1, ...perColumn);
  return { at, width: BOX.pad * 2 + (perColumn.length - 1) * BOX.col + BOX.w, height: BOX.pad * 2 + (rows - 1) * BOX.row + BOX.h };
}

export function LineageView({ session, open, onOpen }: { session: Session; open?: string; onOpen: (eventId?: string) => void }) {
  const initial: Query = { id: session.tenant === 'demo' ? 'service:checkout' : '', depth: '2', direction: 'both', types: '', asOf: '' };
  const [draft, setDraft] = useState<Query>(initial);
  const [query, setQuery] = useState<Query>(initial);
  const related = useLoad(async () => (query.id === '' ? undefined : getJson<Related>(session, `/v1/graph/related?${queryOf(query)}`)), [session.token, query]);
  const set = (k: keyof Query) => (e: Event) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement).value });
  if (open !== undefined) return html`<${EventDetail} session=${session} eventId=${open} onClose=${() => onOpen(undefined)} backLabel="← Back to the lineage" />`;
  const r = related.value;
  const drawn = r === undefined ? undefined : layout(r);
  return html`<section class="card" aria-labelledby="lineage-h">
    <h2 id="lineage-h">Lineage</h2>
    <p class="question">Where did this come from, what does it feed, and who said so?</p>
    <form class="filters" onSubmit=${(e: Event) => (e.preventDefault(), setQuery(draft))} aria-label="Choose a node">
      <label>Node<input name="id" value=${draft.id} onInput=${set('id')} placeholder="service:checkout" /></label>
      <label>Depth<select name="depth" value=${draft.depth} onChange=${set('depth')}>${['1', '2', '3'].map((d) => html`<option value=${d}>${d}</option>`)}</select></label>
      <label>Direction<select name="direction" value=${draft.direction} onChange=${set('direction')}>
        <option value="down">down (what it feeds)</option><option value="up">up (where it came from)</option><option value="both">both</option>
      </select></label>
      <label>Edge types<input name="types" value=${draft.types} onInput=${set('types')} placeholder="DEPLOYS,PRODUCES" /></label>
      <label>As of<input type="datetime-local" name="asOf" value=${draft.asOf} onInput=${set('asOf')} /></label>
      <button type="submit">Show</button>
    </form>
    ${related.error ? html`<${Problem} error=${related.error} />` : null}
    ${r && drawn ? html`
      <div class="graph-frame" tabindex="0" role="region" aria-label="The lineage graph (scrolls)">
      <svg role="group" aria-labelledby="graph-title" width=${drawn.width} height=${drawn.height} viewBox=${`0 0 ${drawn.width} ${drawn.height}`} data-testid="lineage-graph">
        <title id="graph-title">${`Neighbourhood of ${r.root.id}: ${r.items.length} edges`}</title>
        <defs><marker id="arrow" viewBox="0 0 10 10" refX="10" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse"><path d="M0,0 L10,5 L0,10 z" class="arrow" /></marker></defs>
        ${r.items.map((i) => {
          const a = drawn.at.get(i.edge.from);
          const b = drawn.at.get(i.edge.to);
          if (a === undefined || b === undefined) return null;
          const [x1, y1] = [a.x + (b.x >= a.x ? BOX.w : 0), a.y + BOX.h / 2];
          const [x2, y2] = [b.x + (b.x >= a.x ? 0 : BOX.w), b.y + BOX.h / 2];
          const sameColumn = a.x === b.x;
          const open = () => onOpen(i.provenance.event.id);
          const [lx, ly, rx, ry] = x1 <= x2 ? [x1, y1, x2, y2] : [x2, y2, x1, y1];
          const [cx, cy] = sameColumn ? [(x1 + x2) / 2, (y1 + y2) / 2] : [lx + CHIP_AT * (rx - lx), ly + CHIP_AT * (ry - ly)];
          return html`<g class="edge" key=${`${i.edge.from}|${i.edge.type}|${i.edge.to}`}>
            <line x1=${sameColumn ? a.x + BOX.w : x1} y1=${y1} x2=${sameColumn ? b.x + BOX.w : x2} y2=${y2} marker-end="url(#arrow)" />
            <g class="edge-chip" tabindex="0" role="button" data-testid="edge-chip" onClick=${open} onKeyDown=${activate(open)}
              aria-label=${`${i.edge.type} · ${i.provenance.sourceSystem} confidence ${i.provenance.confidence}: ${edgeName(i)}; ${provenanceText(i.provenance)}. Open its sealed event`}>
              <title>${provenanceText(i.provenance)}</title>
              <text class="chip-text" x=${cx} y=${cy - 4} text-anchor="middle">${i.edge.type} · ${i.provenance.sourceSystem}${' '}<tspan
                class=${i.provenance.confidence < 1 ? 'unsure' : ''} x=${cx} dy="14">confidence ${i.provenance.confidence}</tspan></text>
            </g>
          </g>`;
        })}
        ${[...drawn.at.values()].map((p) => html`<g class=${p.node.id === r.root.id ? 'node root' : 'node'} key=${p.node.id}>
          <rect x=${p.x} y=${p.y} width=${BOX.w} height=${BOX.h} rx="5" />
          <text x=${p.x + 8} y=${p.y + 14}>${p.node.id.length > 27 ? `${p.node.id.slice(0, 26)}…` : p.node.id}</text>
          <text class="node-type" x=${p.x + 8} y=${p.y + 28}>${p.node.type}</text>
        </g>`)}
      </svg>
      </div>
      <h3>Edges and their provenance</h3>
      <table data-testid="lineage-edges">
        <caption class="sr-only">Edges of the neighbourhood, nearest first</caption>
        <thead><tr><th scope="col">Edge</th><th scope="col">Hop</th><th scope="col">Provenance</th><th scope="col">Sealed event</th></tr></thead>
        <tbody>${r.items.map((i) => html`<tr key=${`${i.edge.from}|${i.edge.type}|${i.edge.to}`}>
          <td class="mono">${i.edge.from} -[${i.edge.type}]→ ${i.edge.to}</td><td>${i.depth}</td>
          <td><${ProvenanceChips} p=${i.provenance} /></td>
          <td><button type="button" class="secondary" onClick=${() => onOpen(i.provenance.event.id)} aria-label=${`Open the sealed event of ${edgeName(i)}`}>Open</button></td>
        </tr>`)}</tbody>
      </table>` : null}
    ${query.id === '' ? html`<p class="muted">Name a node (its id, e.g. service:checkout).</p>` : null}
  </section>`;
}
