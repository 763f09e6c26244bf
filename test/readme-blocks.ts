// The README's shell examples as data, so a test can run them as written. A ```sh block runs unless the
// line above it (blank lines aside) is a marker:
//   <!-- readme-test: skip (why) -->     never run here (docker, the quick start's own `npm start`, …)
//   <!-- readme-test: server stopped --> run after the test's server has stopped (a command that opens the
//                                        embedded store itself, which belongs to one process)
// Lines `# {…}` in a block are output the block must print (one JSON value per line, compared as JSON; an
// object shown may leave out fields the output has, such as a store's own key ids).
import { spawnSync } from 'node:child_process';
import { resolve } from 'node:path';

const root = resolve(import.meta.dirname, '..');

export interface ShellBlock {
  /** 1-based line of the opening fence in the README. */
  readonly line: number;
  readonly code: string;
  /** Why the test does not run it; undefined when it runs. */
  readonly skip: string | undefined;
  /** Runs once the server has stopped. */
  readonly serverStopped: boolean;
  /** The JSON values the block shows as its output (`# {…}` lines), in order. */
  readonly expected: readonly unknown[];
}

const MARKER = /^<!--\s*readme-test:\s*(.*?)\s*-->$/;

export function shellBlocks(markdown: string): ShellBlock[] {
  const lines = markdown.split('\n');
  const blocks: ShellBlock[] = [];
  for (let i = 0; i < lines.length; i++) {
    const fence = /^(`{3,})(\S*)\s*$/.exec(lines[i]!);
    if (fence === null) continue;
    const end = lines.findIndex((l, j) => j > i && l.startsWith(fence[1]!) && l.trim() === fence[1]);
    if (end < 0) throw new Error(`README line ${i + 1}: a code block that never closes`);
    if (fence[2] === 'sh') {
      let above = i - 1;
      while (above >= 0 && lines[above]!.trim() === '') above--;
      const marker = above >= 0 ? MARKER.exec(lines[above]!.trim())?.[1] : undefined;
      if (marker !== undefined && !/^skip \(.+\)$/.test(marker) && marker !== 'server stopped') {
        throw new Error(`README line ${above + 1}: unknown readme-test marker "${marker}" (skip (why) | server stopped)`);
      }
      const code = lines.slice(i + 1, end);
      blocks.push({
        line: i + 1,
        code: code.join('\n'),
        skip: marker?.startsWith('skip') === true ? marker.slice('skip ('.length, -1) : undefined,
        serverStopped: marker === 'server stopped',
        expected: code.filter((l) => /^#\s*[{[]/.test(l)).map((l, k) => {
          try {
            return JSON.parse(l.replace(/^#\s*/, ''));
          } catch {
            throw new Error(`README line ${i + 2 + code.indexOf(l)}: output comment ${k + 1} is not JSON: ${l}`);
          }
        }),
      });
    }
    i = end;
  }
  return blocks;
}

/**
 * curl as the examples use it, but failing on an HTTP error, and each answer on its own line (not when the
 * answer goes to a file: a saved checkpoint note must stay byte for byte what the server sent).
 */
const PRELUDE = `curl() { command curl --fail-with-body "$@"; local status=$?; [ -f /dev/stdout ] || echo; return $status; }\n`;

/**
 * Runs blocks in order in one `bash -e -o pipefail` in the repository (variables carry over, as in a reader's
 * shell), `localhost:8080` pointed at `port`. Undefined when every block ran and printed what it shows; else
 * what went wrong, naming the README line of the block.
 */
export function runBlocks(group: readonly ShellBlock[], env: NodeJS.ProcessEnv, port: number): string | undefined {
  if (group.length === 0) return undefined;
  const script =
    PRELUDE + group.map((b, i) => `echo '@@block ${i}'\n${b.code.replaceAll('localhost:8080', `localhost:${port}`)}\n`).join('') + `echo '@@block end'\n`;
  const result = spawnSync('bash', ['-e', '-o', 'pipefail', '-c', script], { cwd: root, env, encoding: 'utf8', timeout: 600_000, stdio: ['ignore', 'pipe', 'pipe'] });
  const parts = result.stdout.split(/^@@block /m).slice(1);
  const reached = parts.length === 0 ? undefined : parts[parts.length - 1]!.split('\n')[0];
  if (result.status !== 0 || reached !== 'end') {
    const failed = reached === undefined || reached === 'end' ? undefined : group[Number(reached)];
    const printed = (parts[parts.length - 1] ?? '').split('\n').slice(1).join('\n');
    return `README block at line ${failed?.line ?? '?'} failed (exit ${result.status ?? result.signal}):\n${printed.slice(-2000)}\n${result.stderr.slice(-2000)}`;
  }
  for (const [i, block] of group.entries()) {
    const printed = (parts[i] ?? '').split('\n').slice(1);
    const values = printed.flatMap((l) => {
      try {
        return [JSON.parse(l) as unknown];
      } catch {
        return [];
      }
    });
    const missing = block.expected.find((want) => !values.some((got) => shows(want, got)));
    if (missing !== undefined) return `README block at line ${block.line} shows ${JSON.stringify(missing)} but printed:\n${printed.join('\n').slice(0, 2000)}`;
  }
  return undefined;
}

/** Whether `got` is what `want` shows: equal, except that an object shown may leave fields out. */
function shows(want: unknown, got: unknown): boolean {
  if (typeof want !== 'object' || want === null || typeof got !== 'object' || got === null) return want === got;
  if (Array.isArray(want) || Array.isArray(got)) {
    return Array.isArray(want) && Array.isArray(got) && want.length === got.length && want.every((w, i) => shows(w, got[i]));
  }
  return Object.entries(want).every(([key, w]) => key in got && shows(w, (got as Record<string, unknown>)[key]));
}
