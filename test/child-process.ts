// Child processes in tests, with deadlines: a child that never prints or never exits fails its test
// (and is killed) instead of hanging the whole run.
import type { ChildProcess } from 'node:child_process';

export interface Exit {
  readonly code: number | null;
  readonly signal: NodeJS.Signals | null;
}

/** Resolves once `child` has exited (at once if it already has); SIGKILLs it and rejects after `timeoutMs`. */
export function exited(child: ChildProcess, timeoutMs = 30_000): Promise<Exit> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve({ code: child.exitCode, signal: child.signalCode });
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      reject(new Error(`process ${child.pid} did not exit within ${timeoutMs / 1000} s`));
    }, timeoutMs);
    child.once('exit', (code, signal) => {
      clearTimeout(timer);
      resolve({ code, signal });
    });
  });
}

/**
 * Resolves with everything `child` printed on stdout once that includes `marker`; rejects if it exits first,
 * or SIGKILLs it and rejects after `timeoutMs` (a stray child holding the test run's stderr would hang CI).
 */
export function printed(child: ChildProcess, marker: string | RegExp, timeoutMs = 30_000): Promise<string> {
  return new Promise((resolve, reject) => {
    let out = '';
    const found = () => (typeof marker === 'string' ? out.includes(marker) : marker.test(out));
    const done = (error?: Error) => {
      clearTimeout(timer);
      child.stdout!.off('data', onData);
      child.off('exit', onExit);
      if (error === undefined) resolve(out);
      else reject(error);
    };
    const onData = (chunk: Buffer) => {
      out += chunk.toString();
      if (found()) done();
    };
    const onExit = (code: number | null, signal: NodeJS.Signals | null) => done(new Error(`process exited (${code ?? signal}) before printing ${marker}: ${out}`));
    const timer = setTimeout(() => {
      child.kill('SIGKILL');
      done(new Error(`process did not print ${marker} within ${timeoutMs / 1000} s: ${out}`));
    }, timeoutMs);
    child.stdout!.on('data', onData);
    child.once('exit', onExit);
  });
}
