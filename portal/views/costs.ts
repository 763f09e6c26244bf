// Costs view: "What does each service (or team) cost, day by day, and did anything leave its budget or its
// usual range?" GET /v1/finops/costs twice over the chosen days: by the dimension alone (the exact totals,
// decimal strings as the server computed them) and by dimension and day (the chart: one stacked bar per day;
// heights and the budget meter are the only places a float is used). GET /v1/finops/budget for this month:
// the budget against the spend so far, and the thresholds crossed and anomalies the FinOps monitor sealed.
import { useState } from 'preact/hooks';
import { getJson } from '../api.js';
import { html } from '../html.js';
import type { Session } from '../session.js';
import { useLoad } from '../use-load.js';
import { Problem } from './problem.js';

interface CostRow { group: Record<string, string>; currency: string; cost: string; records: number }
interface Report { rows: CostRow[]; totals: { currency: string; cost: string }[]; unpriced: { meter: string; quantity: string }[] }
interface Budget {
  period: string;
  budget: { amount: string; currency: string } | null;
  spent: string | null;
  share: string | null;
  thresholdsCrossed: { threshold: number; spent: string; budget: string; currency: string; recordedAt: string; eventId: string }[];
  anomalies: { day: string; service: string; currency: string; cost: string; mean: string; stddev: string; direction: string; eventId: string }[];
}

const day = (d: Date) => d.toISOString().slice(0, 10);
const PALETTE = ['#1f4fa8', '#d9822b', '#0d6b32', '#a4141b', '#6b4fa8', '#2b8fa3', '#8a6d1f', '#5b6573'];
const CHART = { h: 180, bar: 18, gap: 6, pad: 30 };

async function loadCosts(session: Session, dim: string, from: string, to: string) {
  const range = `from=${from}T00:00:00Z&to=${to}T00:00:00Z`;
  const [byDim, byDay, budget] = await Promise.all([
    getJson<Report>(session, `/v1/finops/costs?${range}&groupBy=${dim}`),
    getJson<Report>(session, `/v1/finops/costs?${range}&groupBy=${dim},day`),
    getJson<Budget>(session, '/v1/finops/budget'),
  ]);
  return { byDim, byDay, budget };
}

// The meter's colours change where the monitor's thresholds are crossed (75 and 90 % count as crossed at
// the mark itself, and a meter's value at its low or high mark is still below it, so the marks sit just under).
const LOW = 0.75 - 1e-9;
const HIGH = 0.9 - 1e-9;

/** This month's budget against the spend so far, then what crossed a threshold or left its usual range. */
function BudgetPanel({ b }: { b: Budget }) {
  const facts = b.thresholdsCrossed.length + b.anomalies.length;
  return html`<section aria-labelledby="budget-h" data-testid="budget-panel">
    <h3 id="budget-h">Budget this month (${b.period})</h3>
    ${b.budget === null || b.spent === null ? html`<p class="muted" data-testid="budget-none">No budget is set for this tenant (command finops.budget.set).</p>` : html`
      <dl class="facts">
        <dt>Budget</dt><dd class="mono" data-testid="budget-amount">${b.budget.amount} ${b.budget.currency}</dd>
        <dt>Spent so far</dt><dd class="mono" data-testid="budget-spent">${b.spent} ${b.budget.currency}${b.share === null ? '' : ` (${b.share} % of the budget)`}</dd>
      </dl>
      <label class="meter">Spent of the budget
        <meter min="0" max=${Number(b.budget.amount)} low=${LOW * Number(b.budget.amount)} high=${HIGH * Number(b.budget.amount)} optimum="0"
          value=${Number(b.spent)}>${b.share ?? '?'} %</meter></label>`}
    ${facts === 0 ? html`<p class="muted" data-testid="costs-facts">No budget threshold crossed and no anomaly recorded this month.</p>`
      : html`<ul data-testid="costs-facts">
        ${b.thresholdsCrossed.map((t) => html`<li key=${t.eventId}><time class="mono">${t.recordedAt}</time> budget threshold ${t.threshold} % crossed: ${t.spent} of ${t.budget} ${t.currency} spent</li>`)}
        ${b.anomalies.map((a) => html`<li key=${a.eventId}>anomaly on <time class="mono">${a.day}</time>: ${a.service} cost ${a.cost} ${a.currency}, ${a.direction} its usual ${a.mean} (σ ${a.stddev})</li>`)}
      </ul>`}
  </section>`;
}

export function CostsView({ session }: { session: Session }) {
  const now = new Date();
  const initial = { dim: 'service', from: day(new Date(now.getTime() - 30 * 86_400_000)), to: day(new Date(now.getTime() + 86_400_000)) };
  const [draft, setDraft] = useState(initial);
  const [q, setQ] = useState(initial);
  const costs = useLoad(() => loadCosts(session, q.dim, q.from, q.to), [session.token, q]);
  const set = (k: keyof typeof initial) => (e: Event) => setDraft({ ...draft, [k]: (e.target as HTMLInputElement).value });
  const v = costs.value;
  return html`<section class="card" aria-labelledby="costs-h">
    <h2 id="costs-h">Costs</h2>
    <p class="question">What does each ${q.dim} cost, day by day, and did anything cross a budget or leave its usual range?</p>
    <form class="filters" onSubmit=${(e: Event) => (e.preventDefault(), setQ(draft))} aria-label="Choose the costs">
      <label>By<select name="dim" value=${draft.dim} onChange=${set('dim')}><option value="service">service</option><option value="team">team</option><option value="meter">meter</option></select></label>
      <label>From (UTC day)<input type="date" name="from" value=${draft.from} onInput=${set('from')} /></label>
      <label>To (UTC day, excluded)<input type="date" name="to" value=${draft.to} onInput=${set('to')} /></label>
      <button type="submit">Show</button>
    </form>
    ${costs.error ? html`<${Problem} error=${costs.error} />` : null}
    ${v ? html`
      <dl class="facts"><dt>Total</dt><dd data-testid="costs-total">${v.byDim.totals.length === 0 ? 'no priced usage in these days' : v.byDim.totals.map((t) => `${t.cost} ${t.currency}`).join(' + ')}</dd>
        ${v.byDim.unpriced.length > 0 ? html`<dt>Unpriced</dt><dd>${v.byDim.unpriced.map((u) => `${u.quantity} ${u.meter}`).join(', ')} (no price in force)</dd>` : null}</dl>
      <${DayChart} rows=${v.byDay.rows} dim=${q.dim} />
      <table data-testid="costs-table">
        <caption class="sr-only">Cost by ${q.dim}</caption>
        <thead><tr><th scope="col">${q.dim}</th><th scope="col">Cost</th><th scope="col">Records</th></tr></thead>
        <tbody>${v.byDim.rows.map((r) => html`<tr key=${r.group[q.dim] + r.currency}><td>${r.group[q.dim]}</td><td class="mono">${r.cost} ${r.currency}</td><td>${r.records}</td></tr>`)}</tbody>
      </table>
      <${BudgetPanel} b=${v.budget} />` : null}
  </section>`;
}

function DayChart({ rows, dim }: { rows: CostRow[]; dim: string }) {
  const days = [...new Set(rows.map((r) => r.group['day']!))].sort();
  const keys = [...new Set(rows.map((r) => r.group[dim]!))].sort();
  if (days.length === 0) return null;
  const perDay = days.map((d) => keys.map((k) => rows.filter((r) => r.group['day'] === d && r.group[dim] === k).reduce((s, r) => s + Number(r.cost), 0)));
  const max = Math.max(...perDay.map((parts) => parts.reduce((a, b) => a + b, 0)), 1e-9);
  const width = CHART.pad * 2 + days.length * (CHART.bar + CHART.gap);
  return html`<div class="graph-frame" tabindex="0" role="region" aria-label="Cost per day chart (scrolls)"><svg role="img" aria-labelledby="chart-title" width=${Math.max(width, 320)} height=${CHART.h + CHART.pad * 2} data-testid="costs-chart">
    <title id="chart-title">${`Cost per day by ${dim}, ${days[0]} to ${days[days.length - 1]}`}</title>
    ${days.map((d, i) => {
      let y = CHART.pad + CHART.h;
      return html`<g key=${d}>${keys.map((k, j) => {
        const h = (perDay[i]![j]! / max) * CHART.h;
        y -= h;
        return h <= 0 ? null : html`<rect class="bar" x=${CHART.pad + i * (CHART.bar + CHART.gap)} y=${y} width=${CHART.bar} height=${h} fill=${PALETTE[j % PALETTE.length]}><title>${`${d} ${k}: ${perDay[i]![j]!.toFixed(2)}`}</title></rect>`;
      })}<text class="axis" x=${CHART.pad + i * (CHART.bar + CHART.gap) + CHART.bar / 2} y=${CHART.pad + CHART.h + 14} text-anchor="middle">${d.slice(8)}</text></g>`;
    })}
  </svg></div>
  <p class="legend">${keys.map((k, j) => html`<span class="chip"><svg width="10" height="10" aria-hidden="true"><rect width="10" height="10" fill=${PALETTE[j % PALETTE.length]} /></svg> ${k}</span>`)}</p>`;
}
