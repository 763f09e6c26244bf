// Sign-in: at the operator's OpenID provider (authorization code + PKCE, when the server has one
// configured), by pasting a bearer token (from your identity provider, or `npx companyos token`), or, while
// the server uses development keys, one click for the demo tenant as an auditor or an admin. The token stays
// in this tab only (sessionStorage). `failure` is why the last sign-in at the provider did not work.
import { useState } from 'preact/hooks';
import { getJson } from '../api.js';
import { html } from '../html.js';
import type { OidcOptions } from '../oidc.js';
import { startOidcSignIn } from '../oidc-sign-in.js';
import { sessionOf, type Session } from '../session.js';
import { useLoad } from '../use-load.js';
import { Problem } from './problem.js';

interface Options { devSignIn: { tenant: string; roles: string[] } | null; oidc?: OidcOptions | null }

export function SignIn({ onSignedIn, failure }: { onSignedIn: (s: Session) => void; failure?: string | undefined }) {
  const options = useLoad(() => getJson<Options>(undefined, '/portal/session-options'), []);
  const [token, setToken] = useState('');
  const [error, setError] = useState<string | undefined>(failure);
  const useToken = (t: string) => {
    const session = sessionOf(t);
    if (typeof session === 'string') setError(session);
    else onSignedIn(session);
  };
  const dev = async (role: string) => {
    try {
      const answer = await getJson<{ token: string }>(undefined, '/portal/dev-sign-in', { method: 'POST', body: JSON.stringify({ role }) });
      useToken(answer.token);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  const dev0 = options.value?.devSignIn;
  const oidc = options.value?.oidc;
  const provider = async () => {
    try {
      await startOidcSignIn(oidc!);
    } catch (e) {
      setError(e instanceof Error ? e.message : String(e));
    }
  };
  return html`<main class="signin">
    <section class="card" aria-labelledby="signin-h">
      <h2 id="signin-h">Sign in to the audit portal</h2>
      ${error ? html`<p class="error" role="alert" data-testid="sign-in-error">${error}</p>` : null}
      ${options.error ? html`<${Problem} error=${options.error} />` : null}
      ${oidc ? html`
        <p>Sign in with your organisation's identity provider, <strong>${new URL(oidc.issuer).host}</strong>.</p>
        <div class="actions"><button type="button" data-testid="oidc-sign-in" onClick=${provider}>Sign in with your identity provider</button></div>` : null}
      ${dev0 ? html`
        <h3>Development keys are in use</h3>
        <p>One click signs you in to the demo tenant <strong>${dev0.tenant}</strong> (a short-lived token from this server).</p>
        <div class="actions">
          ${dev0.roles.map((r) => html`<button type="button" data-testid=${`dev-${r}`} onClick=${() => dev(r)}>Demo tenant as ${r}</button>`)}
        </div>` : null}
      <h3>${oidc || dev0 ? 'Or paste a token' : 'Paste a token'}</h3>
      <form onSubmit=${(e: Event) => (e.preventDefault(), useToken(token))}>
        <label class="field" for="token">Bearer token (JWT)</label>
        <textarea id="token" name="token" value=${token} onInput=${(e: Event) => setToken((e.target as HTMLTextAreaElement).value)} autocomplete="off" spellcheck=${false}></textarea>
        <div class="actions"><button type="submit">Sign in with this token</button></div>
      </form>
      <p class="muted">The token is kept in this tab only. The tenant you see is always the one in the verified token.</p>
    </section>
  </main>`;
}
