// `companyos <command> --help` for every command the CLI lists (and every subcommand its usage shows): usage
// and one example on stdout, exit 0, with no store, server or configuration needed.
import { execFile } from 'node:child_process';
import { resolve } from 'node:path';
import { promisify } from 'node:util';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { Role } from '../adapters/auth/jwt.js';

const CLI = resolve(import.meta.dirname, 'companyos.js');
const run = promisify(execFile);

async function cli(args: string[]) {
  try {
    const { stdout, stderr } = await run(process.execPath, [CLI, ...args]);
    return { code: 0, stdout, stderr };
  } catch (error) {
    const e = error as { code: number; stdout: string; stderr: string };
    return { code: e.code, stdout: e.stdout, stderr: e.stderr };
  }
}

/** The command names `companyos --help` lists, one per indented line. */
async function listedCommands(): Promise<string[]> {
  const out = await cli(['--help']);
  assert.is(out.code, 0, out.stderr);
  return [...out.stdout.matchAll(/^ {2}([a-z][a-z-]*) {2,}\S/gm)].map((m) => m[1]!);
}

/** Asserts the help of `companyos <words>`: usage naming the words, and an example that runs them. */
function assertHelp(words: string[], out: { code: number; stdout: string; stderr: string }) {
  const spelled = `companyos ${words.join(' ')}`;
  assert.is(out.code, 0, `${spelled} --help: exit ${out.code}: ${out.stderr}`);
  assert.is(out.stderr, '');
  assert.ok(out.stdout.startsWith(`usage: ${spelled}`), out.stdout);
  const example = /^example:\n {2}(.+)$/m.exec(out.stdout)?.[1];
  assert.ok(example !== undefined && example.includes(spelled), `${spelled}: no example that runs it:\n${out.stdout}`);
}

const help = suite('CLI: every command answers --help with its usage and an example');

help('the overview lists every command, exit 0; without a command it is a usage mistake (exit 2)', async () => {
  const names = await listedCommands();
  for (const known of ['serve', 'replay', 'project', 'faults', 'token', 'verify', 'verify-receipt', 'policy', 'relay', 'ingest', 'keys', 'plan', 'run', 'demo']) {
    assert.ok(names.includes(known), `${known} missing from ${names.join(', ')}`);
  }
  assert.is((await cli([])).code, 2);
});

help('<command> --help and -h, for every listed command, and <command> <subcommand> --help for each form its usage shows', async () => {
  let subcommands = 0;
  for (const name of await listedCommands()) {
    const out = await cli([name, '--help']);
    assertHelp([name], out);
    assert.is((await cli([name, '-h'])).stdout, out.stdout);
    // Each form of the usage whose second word is a name, not an option or argument: run approve, faults ack, policy what-if…
    const usage = out.stdout.split('\n\n', 1)[0]!;
    const forms = [...usage.matchAll(new RegExp(`companyos ${name} ([a-z]+(?:-[a-z]+)*)\\b`, 'g'))].map((m) => m[1]!);
    for (const sub of new Set(forms.filter((f) => f !== name))) {
      assertHelp([name, sub], await cli([name, sub, '--help']));
      subcommands++;
    }
  }
  assert.ok(subcommands >= 8, `${subcommands} subcommands with a help of their own`);
});

help('run shows its four forms: start, status, approve, cancel', async () => {
  const out = await cli(['run', '--help']);
  for (const form of ['run start PLAN', 'run status RUN', 'run approve RUN STEP', 'run cancel RUN']) assert.ok(out.stdout.includes(`companyos ${form}`), out.stdout);
});

help("token's help names every role the tokens may carry", async () => {
  const out = await cli(['token', '--help']);
  assertHelp(['token'], out);
  const listed = /^roles: (.+)$/m.exec(out.stdout)?.[1]?.split(', ');
  assert.equal(listed, Object.keys(Role.keys));
});

help('help <command> is <command> --help; --help after other options still helps, and needs no configuration', async () => {
  assert.is((await cli(['help', 'verify'])).stdout, (await cli(['verify', '--help'])).stdout);
  const out = await cli(['verify', '--tenant', 'acme', '--help']);
  assertHelp(['verify'], out);
  assert.is((await cli(['help', 'frobnicate'])).code, 2);
});

help.run();
