// The HTTP server as a client meets it over TCP: what Node's parser refuses (a head too large, a request
// that is not HTTP) is answered with a problem; a taken port fails the start with one line; 50 MB
// uploads are refused while they stream, memory staying where it was; and `companyos serve` does the same.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import http from 'node:http';
import net from 'node:net';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { setFlagsFromString } from 'node:v8';
import { runInNewContext } from 'node:vm';
import { Hono } from 'hono';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { issueDevelopmentToken } from '../auth/jwt.js';
import { openTestApi, type TestApi } from '../../test/api-harness.js';
import { exited, printed } from '../../test/child-process.js';
import { openMemoryLog, type TestLog } from '../../test/logs.js';
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

/**
 * POSTs `total` bytes chunked (no Content-Length), honouring backpressure; resolves with the answer, if
 * any. The deadline only keeps a server that never answers from hanging the run.
 */
function upload(port: number, path: string, total: number, headers: Record<string, string>): Promise<Answer & { sent: number }> {
  return new Promise((done, fail) => {
    const deadline = setTimeout(() => (req.destroy(), fail(new Error(`${path}: no answer within 60 s`))), 60_000);
    const req = http.request({ host: '127.0.0.1', port, method: 'POST', path, headers, agent: false }); // a connection each
    let sent = 0;
    let stopped = false;
    let answer: Answer | undefined;
    // The server closes the connection while we still send, so the answer is what arrived before that.
    req.on('response', (res) => {
      answer = { status: res.statusCode!, headers: res.headers, text: '' };
      res.on('data', (d) => answer && (answer = { ...answer, text: answer.text + d }));
      res.on('end', finish);
      res.on('close', finish);
    });
    const finish = () => {
      if (stopped) return;
      stopped = true;
      clearTimeout(deadline);
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

/** The four routes of the report: viewers could make the server buffer 100 MB bodies on each. */
const ROUTES = ['/v1/plans', '/v1/runs', '/v1/runs/r-1/steps/deploy/approve', '/v1/runs/r-1/cancel'];

// ---------------------------------------------------------------------------------------------------
// Memory, measured where the server runs: the app on a real HTTP server in this process (the client's
// part is one reused 64 KiB chunk), with a garbage collection before the baseline and the peak sampled
// throughout, so a body buffered and dropped between samples still shows in the external memory it took.

const memory = suite('HTTP server: 50 MB uploads are refused while they stream, and memory stays bounded');
let testLog: TestLog;
let api: TestApi;
let appServer: http.Server;
let appPort: number;
const appSockets: net.Socket[] = [];
let viewerToken: string;
setFlagsFromString('--expose-gc');
const collectGarbage = runInNewContext('gc') as () => void;

/** Runs `work` and answers how far resident and external (Buffer) memory rose above where they were. */
async function growthDuring<T>(work: () => Promise<T>): Promise<{ result: T; rssMiB: number; buffersMiB: number }> {
  collectGarbage();
  const before = process.memoryUsage();
  let rss = before.rss;
  let buffers = before.arrayBuffers;
  const sample = () => {
    const m = process.memoryUsage();
    rss = Math.max(rss, m.rss);
    buffers = Math.max(buffers, m.arrayBuffers);
  };
  const sampler = setInterval(sample, 2);
  try {
    const result = await work();
    sample();
    return { result, rssMiB: (rss - before.rss) / MiB, buffersMiB: (buffers - before.arrayBuffers) / MiB };
  } finally {
    clearInterval(sampler);
  }
}

memory.before(async () => {
  testLog = await openMemoryLog();
  api = await openTestApi(testLog.log);
  appServer = await startHttpServer({ fetch: api.system.app.fetch, port: 0, hostname: '127.0.0.1' });
  appServer.on('connection', (s) => appSockets.push(s));
  appPort = (appServer.address() as net.AddressInfo).port;
  viewerToken = await api.token({ tenant: 'acme', roles: ['viewer'], region: 'us-east', subject: 'victor' });
});
memory.after(async () => {
  appServer.closeAllConnections();
  appServer.close();
  await api.close();
  await testLog.close();
});

memory('four concurrent 50 MB uploads with a viewer token: 413 each, the server reads under 2 MiB of each, memory grows < 30 MB', async () => {
  const auth = { authorization: `Bearer ${viewerToken}`, 'content-type': 'application/json' };
  for (const path of ROUTES) await upload(appPort, path, 2 * MiB, auth); // first use of each path, outside the measurement
  appSockets.length = 0;
  const { result: answers, rssMiB, buffersMiB } = await growthDuring(() => Promise.all(ROUTES.map((path) => upload(appPort, path, 50 * MiB, auth))));
  assert.ok(buffersMiB < 30, `Buffer memory grew by ${buffersMiB.toFixed(1)} MiB`);
  assert.ok(rssMiB < 30, `resident memory grew by ${rssMiB.toFixed(1)} MiB`);
  for (const [i, a] of answers.entries()) {
    assertProblem(a, 413, 'payload-too-large');
    assert.ok(a.sent < 50 * MiB, `${ROUTES[i]}: the upload was cut short`);
  }
  assert.is(appSockets.length, ROUTES.length);
  for (const s of appSockets) assert.ok(s.bytesRead < 2 * MiB, `a connection read ${s.bytesRead} bytes`);
});

memory('the routes with the largest limits (command 1 MiB, ingest 5 MiB, metering 8 MiB): 413, read no further than the limit', async () => {
  const routes = [
    ['/v1/commands/graph.node.upsert', MiB, { authorization: `Bearer ${viewerToken}`, 'content-type': 'application/json' }],
    ['/v1/ingest/github', 5 * MiB, { 'content-type': 'application/json', 'x-github-event': 'push' }],
    ['/v1/metering/events', 8 * MiB, { authorization: `Bearer ${viewerToken}`, 'content-type': 'application/json' }],
  ] as const;
  for (const [path, limit, headers] of routes) {
    appSockets.length = 0;
    const { result: a, buffersMiB } = await growthDuring(() => upload(appPort, path, 50 * MiB, headers));
    assertProblem(a, 413, 'payload-too-large');
    assert.ok(buffersMiB < limit / MiB + 20, `${path}: Buffer memory grew by ${buffersMiB.toFixed(1)} MiB`);
    assert.ok(appSockets[0]!.bytesRead < limit + 2 * MiB, `${path}: the server read ${appSockets[0]!.bytesRead} bytes`);
  }
});

// ---------------------------------------------------------------------------------------------------
// The same through `companyos serve` itself: its wiring must keep the lingering close (the answer
// reaches a client that is still sending) and the early refusal of a declared length.

const CLI = resolve(import.meta.dirname, '../../bin/companyos.js');
const JWT_SECRET = 'body-limit-test-secret-of-32-bytes!!';
const served = suite('HTTP server: `companyos serve` answers 413 to uploads it will not read');
let child: ChildProcess | undefined;
let dataDir: string;
let servedPort: number;
let viewer: string;

served.before(async () => {
  dataDir = await mkdtemp(join(tmpdir(), 'companyos-uploads-'));
  servedPort = 30000 + Math.floor(Math.random() * 20000);
  const { DATABASE_URL: _pg, EVENTSTORE_URL: _es, NATS_URL: _nats, CLICKHOUSE_URL: _ch, ...env } = process.env;
  child = spawn(process.execPath, [CLI, 'serve', '--no-projectors'], {
    env: { ...env, COMPANYOS_DATA_DIR: dataDir, PORT: String(servedPort), COMPANYOS_JWT_SECRET: JWT_SECRET },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  await printed(child, 'listening on', 120_000);
  child.stdout!.resume();
  viewer = await issueDevelopmentToken(new TextEncoder().encode(JWT_SECRET), { issuer: 'companyos-dev', audience: 'companyos' }, { tenant: 'acme', roles: ['viewer'], region: 'us-east' }, Math.floor(Date.now() / 1000));
});
served.after(async () => {
  child?.kill('SIGTERM');
  if (child !== undefined) await exited(child, 30_000).catch(() => child?.kill('SIGKILL'));
  await rm(dataDir, { recursive: true, force: true });
});

served('four concurrent 50 MB uploads: each client gets its 413 problem with Connection: close, and is cut short', async () => {
  const auth = { authorization: `Bearer ${viewer}`, 'content-type': 'application/json' };
  const answers = await Promise.all(ROUTES.map((path) => upload(servedPort, path, 50 * MiB, auth)));
  for (const [i, a] of answers.entries()) {
    assertProblem(a, 413, 'payload-too-large');
    assert.is(a.headers['connection'], 'close', ROUTES[i]);
    assert.ok(a.sent < 50 * MiB, `${ROUTES[i]}: the server stopped reading (client sent ${a.sent} bytes)`);
  }
});

served('a declared Content-Length of 50 MB is refused before the body is sent', async () => {
  const answer = await new Promise<Answer>((done, fail) => {
    // The deadline only keeps a server that waits for the body from hanging the run.
    const deadline = setTimeout(() => (req.destroy(), fail(new Error('no answer within 60 s'))), 60_000);
    const req = http.request(
      { host: '127.0.0.1', port: servedPort, method: 'POST', path: '/v1/plans', headers: { authorization: `Bearer ${viewer}`, 'content-type': 'application/yaml', 'content-length': String(50 * MiB) } },
      (res) => {
        let text = '';
        res.on('data', (d) => (text += d));
        res.on('end', () => (clearTimeout(deadline), done({ status: res.statusCode!, headers: res.headers, text })));
      },
    );
    req.on('error', fail);
    req.flushHeaders(); // the head only: the answer must not wait for a body
  });
  assertProblem(answer, 413, 'payload-too-large');
});

parser.run();
memory.run();
served.run();
