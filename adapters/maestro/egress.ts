// http steps' requests under the egress policy (egress-policy.ts). The check runs on the address actually
// connected to: IP literals before connecting, names inside the socket's own DNS lookup, so a name that
// resolves differently between a check and the connect (DNS rebinding) cannot slip through. Redirects are
// the answer unless the operator enables following them, and then every hop is checked the same way.
import { lookup as dnsLookup, type LookupAddress, type LookupOptions } from 'node:dns';
import { request as httpRequest, type IncomingMessage } from 'node:http';
import { request as httpsRequest } from 'node:https';
import { isIP } from 'node:net';
import { normalHost, type EgressPolicy } from '../../schemas/egress.js';
import { egressDecider } from './egress-policy.js';

/** The one text a refused connection gets: it says nothing about ports, addresses or what answered. */
export const EGRESS_REFUSED = 'refused by egress policy';

export class EgressRefused extends Error {
  override readonly name = 'EgressRefused';
  readonly code = 'ERR_EGRESS_REFUSED';
  constructor() {
    super(EGRESS_REFUSED);
  }
}

export interface EgressRequest {
  readonly method: string;
  readonly url: string;
  readonly headers: Readonly<Record<string, string>>;
  readonly body?: string;
}

export interface EgressResponse {
  readonly status: number;
  readonly text: string;
  readonly truncated: boolean;
}

const MAX_HOPS = 5;
const REDIRECTS = new Set([301, 302, 303, 307, 308]);

type LookupCallback = (error: NodeJS.ErrnoException | null, address: string | LookupAddress[], family?: number) => void;
/** Resolves a name to every address (dns.lookup with all: true); tests pass their own to play a rebinding DNS. */
export type Resolver = (hostname: string, family: number, done: (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => void) => void;

const systemResolver: Resolver = (hostname, family, done) => dnsLookup(hostname, { all: true, family }, done);

/** RFC 6761: `localhost` and `*.localhost` are loopback whatever a resolver says (`localhost.` included). */
const LOOPBACK: readonly LookupAddress[] = [
  { address: '127.0.0.1', family: 4 },
  { address: '::1', family: 6 },
];
const isLocalhost = (name: string): boolean => normalHost(name) === 'localhost' || normalHost(name).endsWith('.localhost');

/**
 * A socket `lookup` that hands the socket only addresses the policy allows for `hostname`: the check
 * and the connect use the same answer, so a second, different answer (DNS rebinding) never matters.
 */
export function checkedLookup(allows: (name: string | undefined, address: string) => boolean, resolve: Resolver = systemResolver) {
  return (hostname: string, options: LookupOptions, callback: LookupCallback): void => {
    const family = typeof options.family === 'number' ? options.family : 0;
    const answer = (error: NodeJS.ErrnoException | null, addresses: LookupAddress[]) => {
      if (error) return callback(error, []);
      const allowed = addresses.filter((a) => allows(hostname, a.address));
      if (allowed.length === 0) return callback(new EgressRefused(), []);
      if (options.all === true) return callback(null, allowed);
      callback(null, allowed[0]!.address, allowed[0]!.family);
    };
    if (isLocalhost(hostname)) return answer(null, LOOPBACK.filter((a) => family === 0 || a.family === family));
    resolve(hostname, family, answer);
  };
}

/** Reads at most `cap` bytes of the answer (the rest is dropped with the socket), as text. */
function capped(response: IncomingMessage, cap: number): Promise<{ text: string; truncated: boolean }> {
  return new Promise((resolve, reject) => {
    const chunks: Buffer[] = [];
    let size = 0;
    response.on('data', (chunk: Buffer) => {
      chunks.push(chunk);
      size += chunk.length;
      if (size > cap) {
        response.destroy();
        resolve({ text: Buffer.concat(chunks).subarray(0, cap).toString('utf8'), truncated: true });
      }
    });
    response.once('end', () => resolve({ text: Buffer.concat(chunks).toString('utf8'), truncated: false }));
    response.once('error', reject);
  });
}

function send(url: URL, request: EgressRequest, allows: (name: string | undefined, address: string) => boolean, signal: AbortSignal): Promise<IncomingMessage> {
  if (url.protocol !== 'http:' && url.protocol !== 'https:') return Promise.reject(new EgressRefused());
  if (url.username !== '' || url.password !== '') return Promise.reject(new EgressRefused());
  const host = url.hostname.startsWith('[') ? url.hostname.slice(1, -1) : url.hostname;
  // The socket skips `lookup` for IP literals, so they are checked here.
  if (isIP(host) !== 0 && !allows(undefined, host)) return Promise.reject(new EgressRefused());
  const perform = url.protocol === 'https:' ? httpsRequest : httpRequest;
  return new Promise((resolve, reject) => {
    const req = perform(url, { method: request.method, headers: request.headers, signal, agent: false, lookup: checkedLookup(allows) as never }, resolve);
    req.once('error', reject);
    req.end(request.body);
  });
}

/**
 * Performs `request` under `policy`. Throws EgressRefused when the policy refuses a hop; other errors
 * (DNS, TLS, a reset) are the network's, for an allowed destination only.
 */
export async function egressRequest(policy: EgressPolicy, request: EgressRequest, signal: AbortSignal, cap: number): Promise<EgressResponse> {
  const allows = egressDecider(policy);
  let url = new URL(request.url);
  let current = request;
  for (let hop = 0; ; hop++) {
    const response = await send(url, current, allows, signal);
    const status = response.statusCode ?? 0;
    const location = response.headers.location;
    if (!policy.followRedirects || !REDIRECTS.has(status) || location === undefined || hop >= MAX_HOPS) {
      return { status, ...(await capped(response, cap)) };
    }
    response.resume();
    const next = new URL(location, url);
    // 303 (and, as browsers do, 301/302 after a POST) become a GET without a body; credentials stay with their origin.
    const asGet = status === 303 || ((status === 301 || status === 302) && current.method === 'POST');
    const headers = Object.fromEntries(
      Object.entries(current.headers).filter(([h]) => (next.origin === url.origin || !/^(authorization|cookie)$/i.test(h)) && !(asGet && /^content-/i.test(h))),
    );
    current = { method: asGet ? 'GET' : current.method, url: next.href, headers, ...(asGet || current.body === undefined ? {} : { body: current.body }) };
    url = next;
  }
}
