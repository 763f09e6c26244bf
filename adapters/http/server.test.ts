// The HTTP server as a client meets it over TCP: what Node's parser refuses (a head too large, a request
// that is not HTTP) is answered with a problem; a taken port fails the start with one line; and
// `companyos serve` refuses 50 MB uploads while they stream, its memory staying where it was.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, readFile, rm, writeFile } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { Hono } from 'hono';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { issueDevelopmentToken } from '../auth/jwt.js';
import { exited, printed } from '../../test/child-process.js';
import { ListenError, startHttpServer } from './server.js';

const MiB = 1024 * 1024;
const CHUNK = Buffer.alloc(64 * 1024, 0x20);

interface Answer {
  readonly status: number;
  readonly headers: http.IncomingHttpHeaders;
  readonly text: string;
}

const assertProblem = (a: Answer, status: number, code: string) => {
  assert.is(a.status, status, a.text);
  assert.match(String(a.headers['content-type']), /^application\/problem\+json/);
  const p = JSON.parse(a.text);
  assert.is(p.status, status);
  assert.is(p.code, code);
};

/** Resolves when `stream` can take more, or has closed. */
function drained(stream: NodeJS.EventEmitter): Promise<void> {
  return new Promise((done) => {
    const go = () => {
      stream.off('drain', go);
      stream.off('close', go);
      done();
    };
    stream.on('drain', go);
    stream.on('close', go);
  });
}

/** Raw bytes to the server; resolves with everything it sent back once it closes the connection. */
function raw(port: number, head: string, bodyBytes = 0): Promise<{ readonly text: string; readonly sent: number }> {
  return new Promise((done) => {
    const socket = net.connect(port, '127.0.0.1');
    let text = '';
    let sent = 0;
    let closed = false;
    socket.on('data', (d) => (text += d));
    socket.on('error', () => {}); // the server closing while we still send: expected
    socket.on('close', () => {
      closed = true;
      done({ text, sent });
    });
    socket.write(head);
    void (async () => {
      while (!closed && sent < bodyBytes) {
        sent += CHUNK.length;
        if (!socket.write(CHUNK)) await drained(socket);
      }
      if (!closed) socket.end();
    })();
  });
}

/** The responses in a raw transcript: status and body of each. */
const responsesIn = (text: string) =>
  [...text.matchAll(/HTTP\/1\.1 (\d{3})[^\r]*\r\n([\s\S]*?)\r\n\r\n/g)].map((m) => {
    const length = Number(/content-length: (\d+)/i.exec(m[2]!)?.[1] ?? 0);
    const start = m.index! + m[0].length;
    return { status: Number(m[1]), headers: m[2]!, body: text.slice(start, start + length) };
  });

// ---------------------------------------------------------------------------------------------------

const parser = suite('HTTP server: what Node\'s parser refuses is a problem too');
let server: http.Server;
let port: number;
const sockets: net.Socket[] = [];

parser.before(async () => {
  const app = new Hono().get('*', (c) => c.text('ok')).post('*', async (c) => c.text(`read ${(await c.req.text()).length}`));
  server = await startHttpServer({ fetch: app.fetch, port: 0, hostname: '127.0.0.1' });
  server.on('connection', (s) => sockets.push(s));
  port = (server.address() as net.AddressInfo).port;
});
parser.after(() => {
  server.closeAllConnections();
  server.close();
});

const get = (path: string, headers: Record<string, string> = {}) =>
  new Promise<Answer>((done, fail) => {
    http.get({ host: '127.0.0.1', port, path, headers }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => done({ status: res.statusCode!, headers: res.headers, text }));
    }).on('error', fail);
  });

parser('a 60 KB Authorization header → 431 problem', async () => {
  assertProblem(await get('/', { authorization: `Bearer ${'a'.repeat(60_000)}` }), 431, 'headers-too-large');
});

parser('a 100 KB path → 431 problem', async () => {
  assertProblem(await get(`/${'p'.repeat(100_000)}`), 431, 'headers-too-large');
});

parser('a request that is not HTTP → 400 problem, and the connection closes', async () => {
  const [answer, ...more] = responsesIn((await raw(port, 'HELLO THERE\r\n\r\n')).text);
  assert.is(answer?.status, 400);
  assert.match(answer!.headers, /content-type: application\/problem\+json/);
  assert.is(JSON.parse(answer!.body).code, 'bad-request');
  assert.is(more.length, 0);
});

parser('a Content-Length that lies (10, then 50 MB) buys 10 bytes: the rest is refused as a bad request and not read', async () => {
  for (const head of ['POST / HTTP/1.1\r\nHost: x\r\nContent-Length: 10\r\n\r\n', 'POST / HTTP/1.1\r\nHost: x\r\n\r\n']) {
    sockets.length = 0;
    const { text, sent } = await raw(port, head, 50 * MiB);
    const [first, second, ...more] = responsesIn(text);
    assert.is(first?.status, 200, text.slice(0, 300));
    assert.match(first!.body, /^read (10|0)$/);
    assert.is(second?.status, 400, text.slice(0, 600));
    assert.is(JSON.parse(second!.body).code, 'bad-request');
    assert.is(more.length, 0);
    assert.ok(sent < 50 * MiB, 'the server closed the connection before the upload ended');
    assert.ok(sockets[0]!.bytesRead < MiB, `the server read ${sockets[0]!.bytesRead} bytes`);
  }
});

parser('a port already in use: ListenError naming the port', async () => {
  try {
    await startHttpServer({ fetch: () => new Response('no'), port, hostname: '127.0.0.1' });
    assert.unreachable('the second server must not start');
  } catch (error) {
    assert.instance(error, ListenError);
    assert.is((error as Error).message, `port ${port} is already in use (127.0.0.1:${port}); stop the other process or set PORT`);
  }
});

// ---------------------------------------------------------------------------------------------------

const CLI = resolve(import.meta.dirname, '../../bin/companyos.js');
const JWT_SECRET = 'body-limit-test-secret-of-32-bytes!!';
const uploads = suite('HTTP server: `companyos serve` refuses oversized bodies while they stream');
let child: ChildProcess | undefined;
let dataDir: string;
let base: { port: number; pid: number };
let viewer: string;

/** Peak resident memory of the child since the last reset (Linux: /proc/PID/status VmHWM, reset by clear_refs 5). */
const peakKiB = async () => Number(/VmHWM:\s+(\d+) kB/.exec(await readFile(`/proc/${base.pid}/status`, 'utf8'))![1]);
const resetPeak = () => writeFile(`/proc/${base.pid}/clear_refs`, '5');
const residentKiB = async () => Number(/VmRSS:\s+(\d+) kB/.exec(await readFile(`/proc/${base.pid}/status`, 'utf8'))![1]);

/** POSTs `total` bytes chunked (no Content-Length), honouring backpressure; resolves with the answer, if any. */
function upload(path: string, total: number, headers: Record<string, string>): Promise<Answer & { sent: number }> {
  return new Promise((done) => {
    const req = http.request({ host: '127.0.0.1', port: base.port, method: 'POST', path, headers });
    let sent = 0;
    let stopped = false;
    let answer: Answer | undefined;
    // The server closes the connection while we still send, so the answer is what arrived before that.
    req.on('response', (res) => {
      answer = { status: res.statusCode!, headers: res.headers, text: '' };
      res.on('data', (d) => answer && (answer = { ...answer, text: answer.text + d }));
      res.on('close', finish);
    });
    const finish = () => {
      if (stopped) return;
      stopped = true;
      setImmediate(() => done({ ...(answer ?? { status: 0, headers: {}, text: '' }), sent }));
    };
    req.on('close', () => setTimeout(finish, 100));
    req.on('error', () => {});
    void (async () => {
      while (!stopped && sent < total) {
        sent += CHUNK.length;
        if (!req.write(CHUNK)) await drained(req);
      }
      if (!stopped) req.end();
    })();
  });
}

uploads.before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'companyos-uploads-'));
  const port = 30000 + Math.floor(Math.random() * 20000);
  const { DATABASE_URL: _pg, EVENTSTORE_URL: _es, NATS_URL: _nats, CLICKHOUSE_URL: _ch, ...env } = process.env;
  child = spawn(process.execPath, [CLI, 'serve', '--no-projectors'], {
    env: { ...env, COMPANYOS_DATA_DIR: dataDir, PORT: String(port), COMPANYOS_JWT_SECRET: JWT_SECRET },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await printed(child, 'listening on', 120_000);
  child.stdout!.resume();
  base = { port, pid: child.pid! };
  viewer = await issueDevelopmentToken(new TextEncoder().encode(JWT_SECRET), { issuer: 'companyos-dev', audience: 'companyos' }, { tenant: 'acme', roles: ['viewer'], region: 'us-east' }, Math.floor(Date.now() / 1000));
});
uploads.after(async () => {
  child?.kill('SIGTERM');
  if (child !== undefined) await exited(child, 30_000).catch(() => child?.kill('SIGKILL'));
  await rm(dataDir, { recursive: true, force: true });
});

const ROUTES = ['/v1/plans', '/v1/runs', '/v1/runs/r-1/steps/deploy/approve', '/v1/runs/r-1/cancel'];

uploads('four concurrent 50 MB uploads with a viewer token: each refused with a 413 problem, peak memory grows by less than 30 MB', async () => {
  const auth = { authorization: `Bearer ${viewer}`, 'content-type': 'application/json' };
  // Warm-up: every code path once, so what is measured is the uploads, not first-use loading.
  for (const path of ROUTES) assert.is((await upload(path, 2 * MiB, auth)).status, 413, path);
  const before = await residentKiB();
  await resetPeak();
  const answers = await Promise.all(ROUTES.map((path) => upload(path, 50 * MiB, auth)));
  const peak = await peakKiB();
  for (const [i, a] of answers.entries()) {
    assertProblem(a, 413, 'payload-too-large');
    assert.is(a.headers['connection'], 'close', ROUTES[i]);
    assert.ok(a.sent < 50 * MiB, `${ROUTES[i]}: the server stopped reading (client sent ${a.sent} bytes)`);
  }
  const growthMiB = (peak - before) / 1024;
  assert.ok(growthMiB < 30, `peak resident memory grew by ${growthMiB.toFixed(1)} MiB (from ${before} KiB to ${peak} KiB)`);
});

uploads('a 50 MB command, ingest delivery and metering batch (largest limits) are refused too, memory bounded', async () => {
  const before = await residentKiB();
  await resetPeak();
  for (const [path, headers] of [
    ['/v1/commands/graph.node.upsert', { authorization: `Bearer ${viewer}`, 'content-type': 'application/json' }],
    ['/v1/ingest/github', { 'content-type': 'application/json', 'x-github-event': 'push' }],
    ['/v1/metering/events', { authorization: `Bearer ${viewer}`, 'content-type': 'application/json' }],
  ] as const) {
    const a = await upload(path, 50 * MiB, headers);
    assertProblem(a, 413, 'payload-too-large');
    assert.ok(a.sent < 50 * MiB, path);
  }
  const growthMiB = ((await peakKiB()) - before) / 1024;
  assert.ok(growthMiB < 30, `peak resident memory grew by ${growthMiB.toFixed(1)} MiB`);
});

uploads('a declared Content-Length of 50 MB is refused before the body is sent', async () => {
  const answer = await new Promise<Answer>((done, fail) => {
    const req = http.request({ host: '127.0.0.1', port: base.port, method: 'POST', path: '/v1/plans', headers: { authorization: `Bearer ${viewer}`, 'content-type': 'application/yaml', 'content-length': String(50 * MiB) } }, (res) => {
      let text = '';
      res.on('data', (d) => (text += d));
      res.on('end', () => done({ status: res.statusCode!, headers: res.headers, text }));
    });
    req.on('error', fail);
    req.flushHeaders(); // the head only: the answer must not wait for a body
  });
  assertProblem(answer, 413, 'payload-too-large');
});

parser.run();
uploads.run();
