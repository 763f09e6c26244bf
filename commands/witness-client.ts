// The witness's view of a log server: the three HTTP calls it makes (commands/witness.ts), with the bearer
// token of the tenant it follows. A non-2xx answer is an error naming the status and the problem's detail.
import type { LogServer } from './witness.js';

export class ServerError extends Error {
  override readonly name = 'ServerError';
  constructor(message: string, readonly status: number | undefined) {
    super(message);
  }

  /** Worth asking again: no answer, a 5xx, a 429, or a 409 (no checkpoint of the tenant yet). */
  get transient(): boolean {
    return this.status === undefined || this.status >= 500 || this.status === 429 || this.status === 409;
  }
}

/** The log server at `url` (its base, e.g. http://127.0.0.1:8080), as `token`'s tenant. */
export function httpLogServer(url: string, token: string, timeoutMs = 30_000): LogServer & { keys(): Promise<readonly string[]>; rotations(): Promise<readonly unknown[]> } {
  const base = url.replace(/\/+$/, '');
  const call = async (method: string, path: string, body?: unknown): Promise<Response> => {
    let response: Response;
    try {
      response = await fetch(`${base}${path}`, {
        method,
        headers: { authorization: `Bearer ${token}`, ...(body === undefined ? {} : { 'content-type': 'application/json' }) },
        ...(body === undefined ? {} : { body: JSON.stringify(body) }),
        signal: AbortSignal.timeout(timeoutMs),
      });
    } catch (error) {
      throw new ServerError(`${method} ${base}${path}: ${error instanceof Error ? (error.cause instanceof Error ? error.cause.message : error.message) : String(error)}`, undefined);
    }
    if (response.ok) return response;
    const text = await response.text().catch(() => '');
    let detail = text.slice(0, 300);
    try {
      const problem = JSON.parse(text) as { code?: string; detail?: string };
      detail = [problem.code, problem.detail].filter((p) => p !== undefined).join(': ') || detail;
    } catch {
      // not a problem document: its text as is
    }
    throw new ServerError(`${method} ${path} answered ${response.status}${detail === '' ? '' : ` (${detail})`}`, response.status);
  };
  return {
    latestCheckpoint: async () => (await call('GET', '/v1/ledger/checkpoint')).text(),
    async consistencyProof(from, to) {
      const body = (await (await call('GET', `/v1/ledger/proofs/consistency?from=${from}&to=${to}`)).json()) as { hashes?: unknown };
      if (!Array.isArray(body.hashes) || body.hashes.some((h) => typeof h !== 'string')) throw new ServerError('the consistency proof has no list of hashes', 200);
      return body.hashes as string[];
    },
    async postCosigned(note) {
      await call('POST', '/v1/ledger/checkpoints/cosignatures', { checkpoint: note });
    },
    /** GET /v1/ledger/keys: each published key's note verifier string (trust on first use only). */
    async keys() {
      const body = (await (await call('GET', '/v1/ledger/keys')).json()) as { keys?: { noteVerifier?: unknown }[] };
      return (body.keys ?? []).map((k) => k.noteVerifier).filter((v): v is string => typeof v === 'string');
    },
    /** GET /v1/ledger/keys: the sealed rotations of the log's key, oldest first (commands/witness-keys.ts judges them). */
    async rotations() {
      const body = (await (await call('GET', '/v1/ledger/keys')).json()) as { rotations?: unknown };
      return Array.isArray(body.rotations) ? body.rotations : [];
    },
  };
}
