// Policy view: "Which rules decide now, and who changed them?" The version in force (GET /v1/policy) with
// its text, and every version of the tenant's policy set: who proposed it, why, and who approved (published) it.
import { getJson } from '../api.js';
import { html } from '../html.js';
import type { Session } from '../session.js';
import { useLoad } from '../use-load.js';
import { Problem } from './problem.js';

interface PolicyAnswer {
  version: string; ordinal: number; text: string;
  history: { ordinal: number; version: string; status: string; author: string; reason: string; approver?: string }[];
}

export function PolicyView({ session }: { session: Session }) {
  const policy = useLoad(() => getJson<PolicyAnswer>(session, '/v1/policy'), [session.token]);
  const p = policy.value;
  return html`<section class="card" aria-labelledby="policy-h">
    <h2 id="policy-h">Policy</h2>
    <p class="question">Which rules decide this tenant's requests now, and who proposed and approved each change?</p>
    ${policy.error ? html`<${Problem} error=${policy.error} />` : null}
    ${policy.loading && p === undefined ? html`<p class="loading">Reading the policy…</p>` : null}
    ${p ? html`
      <dl class="facts">
        <dt>In force</dt><dd data-testid="policy-version">version ${p.ordinal} <span class="mono">${p.version}</span></dd>
      </dl>
      <h3>History</h3>
      ${p.history.length === 0
        ? html`<p class="muted" data-testid="policy-history">Only the default policy set (version 1) so far: nobody has proposed a change.</p>`
        : html`<table data-testid="policy-history">
            <caption class="sr-only">Policy versions, oldest first</caption>
            <thead><tr><th scope="col">#</th><th scope="col">Status</th><th scope="col">Proposed by</th><th scope="col">Approved by</th><th scope="col">Reason</th><th scope="col">Version</th></tr></thead>
            <tbody>${p.history.map((v) => html`<tr key=${v.version}><td>${v.ordinal}</td><td>${v.status}</td><td>${v.author}</td><td>${v.approver ?? '—'}</td><td>${v.reason}</td><td class="mono">${v.version.slice(0, 16)}…</td></tr>`)}</tbody>
          </table>`}
      <details><summary>The policy text in force</summary><pre tabindex="0" aria-label="The policy text in force">${p.text}</pre></details>` : null}
  </section>`;
}
