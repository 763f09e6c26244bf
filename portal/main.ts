// The audit portal's shell: sign-in, then one view per question (Ledger, Audit, Lineage, Policy, Runs,
// Costs), chosen by the URL's fragment (#/ledger, #/audit/<event id>, #/lineage/<event id>, #/runs/<run
// id>), so views can be linked and the browser's back button works. Each view lives in views/ and reads the
// /v1 API with the signed-in token. A page opened by the OpenID provider's answer (?code=…&state=… or
// ?error=…) first finishes that sign-in (oidc-sign-in.ts), then shows the view it started from.
import { render } from 'preact';
import { useEffect, useState } from 'preact/hooks';
import { whenUnauthenticated } from './api.js';
import { html } from './html.js';
import { finishOidcSignIn, forgetOidcSignIn, isOidcCallback } from './oidc-sign-in.js';
import { clearSession, loadSession, mayAct, saveSession, type Session } from './session.js';
import { AuditView } from './views/audit.js';
import { CostsView } from './views/costs.js';
import { LedgerView } from './views/ledger.js';
import { LineageView } from './views/lineage.js';
import { PolicyView } from './views/policy.js';
import { RunsView } from './views/runs.js';
import { SignIn } from './views/sign-in.js';

const VIEWS = [
  { id: 'ledger', title: 'Ledger' },
  { id: 'audit', title: 'Audit' },
  { id: 'lineage', title: 'Lineage' },
  { id: 'policy', title: 'Policy' },
  { id: 'runs', title: 'Runs' },
  { id: 'costs', title: 'Costs' },
] as const;

const route = (): { view: string; item?: string } => {
  const [view = 'ledger', ...rest] = location.hash.replace(/^#\/?/, '').split('/');
  const item = rest.length > 0 ? decodeURIComponent(rest.join('/')) : undefined;
  return { view: VIEWS.some((v) => v.id === view) ? view : 'ledger', ...(item === undefined ? {} : { item }) };
};

function App() {
  const [session, setSession] = useState<Session | undefined>(loadSession);
  const [where, setWhere] = useState(route);
  const [finishing, setFinishing] = useState(isOidcCallback);
  const [failure, setFailure] = useState<string | undefined>(undefined);
  useEffect(() => {
    const changed = () => setWhere(route());
    addEventListener('hashchange', changed);
    whenUnauthenticated(() => signOut());
    if (finishing) {
      void finishOidcSignIn().catch((error: unknown) => `Sign-in failed: ${error instanceof Error ? error.message : String(error)}`).then((answer) => {
        if (typeof answer === 'string') setFailure(answer);
        else signIn(answer);
        setWhere(route());
        setFinishing(false);
      });
    }
    return () => removeEventListener('hashchange', changed);
  }, []);
  const signIn = (s: Session) => {
    setFailure(undefined);
    saveSession(s);
    setSession(s);
  };
  const signOut = () => {
    clearSession();
    forgetOidcSignIn();
    setSession(undefined);
  };
  if (finishing) return html`<main class="signin"><p class="loading" role="status">Finishing the sign-in…</p></main>`;
  if (session === undefined) return html`<${SignIn} onSignedIn=${signIn} failure=${failure} />`;
  const go = (view: string) => (item?: string) => {
    location.hash = `#/${view}${item === undefined ? '' : `/${encodeURIComponent(item)}`}`;
  };
  const views: Record<string, unknown> = {
    ledger: html`<${LedgerView} session=${session} />`,
    audit: html`<${AuditView} session=${session} open=${where.item} onOpen=${go('audit')} />`,
    lineage: html`<${LineageView} session=${session} open=${where.item} onOpen=${go('lineage')} />`,
    policy: html`<${PolicyView} session=${session} />`,
    costs: html`<${CostsView} session=${session} />`,
    runs: html`<${RunsView} session=${session} open=${where.item} onOpen=${go('runs')} />`,
  };
  return html`
    <header class="top">
      <h1>CompanyOS audit portal</h1>
      <nav class="views" aria-label="Views">
        ${VIEWS.map((v) => html`<a href=${`#/${v.id}`} aria-current=${where.view === v.id ? 'page' : undefined}>${v.title}</a>`)}
      </nav>
      <div class="who">
        <span data-testid="who">tenant <strong>${session.tenant}</strong> · ${session.subject} · ${session.roles.join(', ')}${mayAct(session) ? '' : ' (read only)'}</span>
        <button type="button" class="secondary" onClick=${signOut}>Sign out</button>
      </div>
    </header>
    ${failure ? html`<p class="status bad" role="alert" data-testid="sign-in-error">${failure}</p>` : null}
    <main id="content">${views[where.view]}</main>`;
}

const root = document.getElementById('portal')!;
root.replaceChildren(); // the page's "Loading…" line
render(html`<${App} />`, root);
