// Embedded chDB runs ClickHouse inside this process, and its first connection installs ClickHouse's handlers
// for the fatal signals. Such a handler passes the crash to a listener thread (a ClickHouse server runs one;
// the embedded engine does not) and then sleeps, up to 300 s, waiting for it to finish. So a V8 fatal error
// or an out-of-memory abort (SIGABRT) and a native crash (SIGSEGV) hung the process at 0 % CPU instead of
// ending it, and a supervisor cannot restart a process that has not died (issue 15). Handing those signals
// back to the kernel's default action makes the process end at once, its exit status naming the signal
// (134 for SIGABRT, 139 for SIGSEGV), after Node or V8 has printed the line that says why
// ("FATAL ERROR: …", "# Fatal error in …").
import { readFileSync } from 'node:fs';
import { constants } from 'node:os';

/** The signals ClickHouse installs a fatal handler for, less SIGPIPE (Node ignores it) and SIGTSTP (not fatal). */
export const FATAL_SIGNALS = ['SIGABRT', 'SIGSEGV', 'SIGBUS', 'SIGILL', 'SIGFPE', 'SIGSYS', 'SIGTRAP'] as const;
export type FatalSignal = (typeof FATAL_SIGNALS)[number];

const noop = (): void => {};

/**
 * Puts each fatal signal back to its default action; returns the ones it left alone (a listener in this
 * process watches them, so their handler is Node's own, not ClickHouse's).
 *
 * Node has no call to set a signal's action, but libuv resets it to SIG_DFL when the last listener for a
 * signal goes: adding one and removing it again does just that, synchronously. Call it after every chDB
 * connection opens (the engine installs its handlers then, once per process; again is harmless). Node
 * watches signals on the main thread only, so chDB must be opened there (it is, by every process here).
 *
 * What is lost: V8's WebAssembly trap handler on SIGSEGV, which ClickHouse's handler had already displaced.
 * An out-of-bounds WebAssembly access now ends the process instead of throwing a RuntimeError; before, it
 * hung it.
 */
export function restoreFatalSignalDefaults(signals: readonly FatalSignal[] = FATAL_SIGNALS): readonly FatalSignal[] {
  const watched: FatalSignal[] = [];
  for (const signal of signals) {
    if (process.listenerCount(signal) > 0) {
      watched.push(signal);
      continue;
    }
    process.on(signal, noop);
    process.off(signal, noop);
  }
  return watched;
}

/** Which of the fatal signals this process catches now (Linux: SigCgt of /proc/self/status), for tests and checks. */
export function caughtFatalSignals(): readonly FatalSignal[] {
  const mask = /^SigCgt:\s*([0-9a-f]+)$/m.exec(readFileSync('/proc/self/status', 'utf8'))?.[1];
  if (mask === undefined) return [];
  const caught = BigInt(`0x${mask}`);
  return FATAL_SIGNALS.filter((signal) => ((caught >> BigInt(constants.signals[signal] - 1)) & 1n) === 1n);
}
