// A nats-server of a test's own (JetStream, its store in a temporary directory, its own port on 127.0.0.1),
// for tests that stop and start it; never the machine's shared server.
import { spawn, type ChildProcess } from 'node:child_process';
import { mkdtemp, rm } from 'node:fs/promises';
import { connect } from 'node:net';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { exited } from './child-process.js';
import { freePort } from './free-port.js';

const NATS_SERVER = process.env['NATS_SERVER_BIN'] ?? 'nats-server';

export interface PrivateNats {
  readonly url: string;
  /** Starts it (again, on the same port and store); resolves once it accepts connections. */
  start(): Promise<void>;
  /** SIGTERM (a clean restart's first half) or SIGKILL; resolves once it has exited. */
  stop(signal?: 'SIGTERM' | 'SIGKILL'): Promise<void>;
  destroy(): Promise<void>;
}

const accepting = (port: number): Promise<boolean> =>
  new Promise((done) => {
    const socket = connect({ port, host: '127.0.0.1' });
    socket.once('connect', () => (socket.destroy(), done(true)));
    socket.once('error', () => done(false));
  });

export async function startPrivateNats(): Promise<PrivateNats> {
  const dir = await mkdtemp(join(tmpdir(), 'companyos-nats-'));
  const port = await freePort();
  let child: ChildProcess | undefined;
  const nats: PrivateNats = {
    url: `nats://127.0.0.1:${port}`,
    async start() {
      child = spawn(NATS_SERVER, ['-a', '127.0.0.1', '-p', String(port), '-js', '-sd', dir], { stdio: 'ignore' });
      for (let i = 0; !(await accepting(port)); i++) {
        if (child.exitCode !== null || i > 300) throw new Error(`nats-server on port ${port} did not start`);
        await new Promise((r) => setTimeout(r, 50));
      }
    },
    async stop(signal = 'SIGTERM') {
      if (child === undefined || child.exitCode !== null || child.signalCode !== null) return;
      child.kill(signal);
      await exited(child, 30_000);
    },
    async destroy() {
      await nats.stop('SIGKILL').catch(() => {});
      await rm(dir, { recursive: true, force: true });
    },
  };
  await nats.start();
  return nats;
}
