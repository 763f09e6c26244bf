// How a view shows a read that failed: the problem's title and detail, and for a 403 that this role may not see it.
import { ApiError } from '../api.js';
import { html } from '../html.js';

export function Problem({ error }: { error: Error }) {
  const forbidden = error instanceof ApiError && error.status === 403;
  return html`<p class="status bad" role="alert">${forbidden ? 'Not allowed for your role: ' : ''}${error.message}</p>`;
}
