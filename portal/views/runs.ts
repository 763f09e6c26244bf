// Runs view: "What is running, what waits for a person, and what happened in each run?" Runs by state
// (GET /v1/runs), one run's steps and timeline; approve or cancel only where the viewer's roles may (the
// server decides either way: an auditor is shown no such control, and would be refused). When a policy
// wants a fresher or stronger login for the action (RFC 9470's challenge), a session from the OpenID
// provider goes back there with max_age / acr_values and, once back on this run, tries the action again;
// a pasted or development token gets a message saying what sign-in is needed.
import { useEffect, useState } from 'preact/hooks';
import { ApiError, call, getJson } from '../api.js';
import { html } from '../html.js';
import { stepUpInWords } from '../oidc.js';
import { oidcOptionsOfTab, startOidcSignIn, takeRetry } from '../oidc-sign-in.js';
import { mayAct, type Session } from '../session.js';
import { useLoad } from '../use-load.js';
import { Problem } from './problem.js';

const STATES = ['', 'pending', 'running', 'waiting_manual', 'rolling_back', 'success', 'failed', 'canceled', 'rolled_back'];
interface Wait { stepId: string; for: string; detail: string; actions: string[]; roles: string[] }
interface RunSummary { runId: string; status: string; plan: { name: string; version: number }; requester: string; startedAt: string; waitingFor: Wait[] }

export function RunsView({ session, open, onOpen }: { session: Session; open?: string; onOpen: (runId?: string) => void }) {
  const [state, setState] = useState('');
  const runs = useLoad(() => getJson<{ items: RunSummary[] }>(session, `/v1/runs?limit=50${state === '' ? '' : `&state=${state}`}`), [session.token, state]);
  if (open !== undefined) return html`<${RunDetail} session=${session} runId=${open} onClose=${() => onOpen(undefined)} />`;
  return html`<section class="card" aria-labelledby="runs-h">
    <h2 id="runs-h">Runs</h2>
    <p class="question">What is running, and what waits for a person?</p>
    <form class="filters" onSubmit=${(e: Event) => e.preventDefault()}>
      <label>State<select value=${state} onChange=${(e: Event) => setState((e.target as HTMLSelectElement).value)}>
        ${STATES.map((s) => html`<option value=${s}>${s === '' ? 'any' : s}</option>`)}
      </select></label>
    </form>
    ${runs.error ? html`<${Problem} error=${runs.error} />` : null}
    ${runs.value ? html`<table data-testid="runs-table">
      <caption class="sr-only">Runs, newest first</caption>
      <thead><tr><th scope="col">Run</th><th scope="col">State</th><th scope="col">Plan</th><th scope="col">Requested by</th><th scope="col">Started</th><th scope="col">Waiting for</th></tr></thead>
      <tbody>${runs.value.items.map((r) => html`<tr class="row" tabindex="0" key=${r.runId} onClick=${() => onOpen(r.runId)}
          onKeyDown=${(k: KeyboardEvent) => k.key === 'Enter' && onOpen(r.runId)} aria-label=${`Open run ${r.runId}`}>
        <td class="mono">${r.runId}</td><td>${r.status}</td><td>${r.plan.name} v${r.plan.version}</td><td>${r.requester}</td><td>${r.startedAt}</td>
        <td>${r.waitingFor.map((w) => w.detail).join('; ') || '—'}</td></tr>`)}</tbody>
    </table>
    ${runs.value.items.length === 0 ? html`<p class="muted">No runs${state === '' ? '' : ` in state ${state}`}.</p>` : null}` : null}
  </section>`;
}

interface Step { id: string; actionType: string; status: string; attempts: number; approvals: string[]; waitingFor: Wait | null }
interface RunView extends RunSummary { steps: Step[]; reason: string | null }

function RunDetail({ session, runId, onClose }: { session: Session; runId: string; onClose: () => void }) {
  const run = useLoad(() => Promise.all([
    getJson<RunView>(session, `/v1/runs/${encodeURIComponent(runId)}`),
    getJson<{ items: { at: string; actor: string; summary: string }[] }>(session, `/v1/runs/${encodeURIComponent(runId)}/timeline?limit=200`),
  ]), [session.token, runId]);
  const [outcome, setOutcome] = useState<string | undefined>(undefined);
  const act = async (path: string, what: string, afterStepUp = false) => {
    try {
      await call(session, path, { method: 'POST', body: JSON.stringify({}) });
      setOutcome(`${what}: done`);
      run.reload();
    } catch (error) {
      if (error instanceof ApiError && error.stepUp !== undefined) {
        // Once only: a provider that cannot give the login the policy wants is said so, not asked again and again.
        if (afterStepUp) return setOutcome(`${what}: the new sign-in still does not satisfy the policy, which needs ${stepUpInWords(error.stepUp)}.`);
        const oidc = session.source === 'oidc' ? oidcOptionsOfTab() : undefined;
        if (oidc !== undefined) {
          setOutcome(`${what}: this needs ${stepUpInWords(error.stepUp)}; taking you to your identity provider…`);
          return startOidcSignIn(oidc, { stepUp: error.stepUp, retry: { path, what } });
        }
        return setOutcome(`${what}: a fresher sign-in is needed (${stepUpInWords(error.stepUp)}). This token cannot be renewed here: sign out and sign in again with a token that satisfies it.`);
      }
      setOutcome(`${what}: ${error instanceof ApiError || error instanceof Error ? error.message : String(error)}`);
    }
  };
  // Back from a step-up at the provider: the interrupted action once more, with the new token.
  useEffect(() => {
    const retry = takeRetry(`/v1/runs/${encodeURIComponent(runId)}/`);
    if (retry !== undefined) void act(retry.path, retry.what, true);
  }, [runId]);
  const writer = mayAct(session);
  const value = run.value;
  return html`<section class="card" aria-labelledby="run-h">
    <div class="actions"><button type="button" class="secondary" onClick=${onClose}>← Back to the runs</button></div>
    <h2 id="run-h">Run <span class="mono">${runId}</span></h2>
    ${run.error ? html`<${Problem} error=${run.error} />` : null}
    ${value ? html`
      <dl class="facts"><dt>State</dt><dd data-testid="run-state">${value[0].status}</dd><dt>Plan</dt><dd>${value[0].plan.name} v${value[0].plan.version}</dd>
        <dt>Requested by</dt><dd>${value[0].requester}${value[0].reason ? ` (${value[0].reason})` : ''}</dd></dl>
      <h3>Steps</h3>
      <table><thead><tr><th scope="col">Step</th><th scope="col">Action</th><th scope="col">State</th><th scope="col">Attempts</th><th scope="col">Approvals</th><th scope="col">Waiting for</th></tr></thead>
        <tbody>${value[0].steps.map((s) => html`<tr key=${s.id}><td>${s.id}</td><td>${s.actionType}</td><td>${s.status}</td><td>${s.attempts}</td><td>${s.approvals.join(', ') || '—'}</td>
          <td>${s.waitingFor?.detail ?? '—'}
            ${writer && s.waitingFor?.actions.includes('approve') ? html` <button type="button" data-testid="approve" onClick=${() => act(`/v1/runs/${encodeURIComponent(runId)}/steps/${encodeURIComponent(s.id)}/approve`, `approve ${s.id}`)}>Approve</button>` : null}
          </td></tr>`)}</tbody></table>
      ${writer && !['success', 'failed', 'canceled', 'rolled_back'].includes(value[0].status)
        ? html`<div class="actions"><button type="button" class="secondary" data-testid="cancel" onClick=${() => act(`/v1/runs/${encodeURIComponent(runId)}/cancel`, 'cancel')}>Cancel the run</button></div>`
        : writer ? null : html`<p class="muted" data-testid="read-only">Read only: your roles (${session.roles.join(', ')}) change nothing here.</p>`}
      ${outcome ? html`<p class="status info" role="status" data-testid="run-outcome">${outcome}</p>` : null}
      <h3>Timeline</h3>
      <ol class="timeline">${value[1].items.map((i) => html`<li><time>${i.at}</time><strong>${i.actor}</strong> ${i.summary}</li>`)}</ol>` : null}
  </section>`;
}
