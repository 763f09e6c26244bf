// `companyos approvals` against a live server: alice proposes a policy text (which opens the proposal of
// its publication), lists it pending, cannot approve it herself; bob approves it (the publication executes
// as his); rejecting needs a reason; usage mistakes are one-line usage errors.
import { mkdtemp, readFile, writeFile } from 'node:fs/promises';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Server } from 'node:http';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { startHttpServer } from '../../adapters/http/server.js';
import { openTestApi } from '../../test/api-harness.js';
import { openMemoryLog } from '../../test/logs.js';
import { approvalsCommand } from './approvals.js';
import { UsageError } from './failures.js';
import { policyCommand } from './policy.js';
import type { Config } from '../../schemas/config.js';

const DEFAULT = fileURLToPath(new URL('../../commands/policies/default.cedar', import.meta.url));
const cli = suite('companyos approvals');

async function run(command: (config: Config, argv: readonly string[]) => Promise<void>, argv: readonly string[]): Promise<{ readonly out: string; readonly error?: unknown }> {
  const lines: string[] = [];
  const log = console.log;
  console.log = (...args: unknown[]) => void lines.push(args.join(' '));
  try {
    await command({} as Config, argv);
    return { out: lines.join('\n') };
  } catch (error) {
    return { out: lines.join('\n'), error };
  } finally {
    console.log = log;
  }
}

cli('list, approve (as a second admin), reject and the usage mistakes', async () => {
  const memory = await openMemoryLog();
  const api = await openTestApi(memory.log);
  const server: Server = await startHttpServer({ fetch: api.system.app.fetch, port: 0, hostname: '127.0.0.1' });
  const address = server.address();
  const saved = { url: process.env['COMPANYOS_URL'], token: process.env['COMPANYOS_TOKEN'] };
  try {
    if (address === null || typeof address === 'string') throw new Error('no port');
    process.env['COMPANYOS_URL'] = `http://127.0.0.1:${address.port}`;
    const as = async (subject: string) => void (process.env['COMPANYOS_TOKEN'] = await api.token({ subject, tenant: 'acme', roles: ['admin'], region: 'eu-west' }));
    const dir = await mkdtemp(join(tmpdir(), 'approvals-cli-'));
    const cedar = join(dir, 'next.cedar');
    await writeFile(cedar, `${await readFile(DEFAULT, 'utf8')}\n// CHG-8\n`);

    await as('user:alice');
    const proposed = await run(policyCommand, ['propose', cedar, '--region', 'eu-west', '--reason', 'CHG-8']);
    assert.is(proposed.error, undefined);
    const id = /companyos approvals approve ([0-9a-f-]{36})/.exec(proposed.out)?.[1];
    assert.ok(id !== undefined, proposed.out);
    const listed = await run(approvalsCommand, ['list', '--state', 'pending']);
    assert.match(listed.out, new RegExp(`^${id} {2}pending {3}policy\\.set\\.publish \\{"region":"eu-west","version":"[0-9a-f]{64}"\\} {2}by user:alice: CHG-8 \\(approve until `));
    const own = await run(approvalsCommand, ['approve', id!]);
    assert.instance(own.error, Error);

    await as('user:bob');
    const approved = await run(approvalsCommand, ['approve', id!, '--reason', 'reviewed']);
    assert.is(approved.error, undefined, String(approved.error));
    assert.match(approved.out, /^approved and executed policy\.set\.publish: policy\.set\.published on acme\/policy$/);
    const shown = await run(approvalsCommand, ['show', id!]);
    assert.match(shown.out, /executed .* by user:alice, approved by user:bob: CHG-8; wrote policy\.set\.published$/);
    assert.match((await run(approvalsCommand, ['list', '--state', 'pending'])).out, /^no pending approvals$/);

    assert.instance((await run(approvalsCommand, ['reject', id!])).error, UsageError);
    assert.instance((await run(approvalsCommand, ['approve', 'not-an-id'])).error, UsageError);
    assert.instance((await run(approvalsCommand, ['list', '--state', 'soon'])).error, UsageError);
    assert.instance((await run(approvalsCommand, ['nope'])).error, UsageError);
    assert.instance((await run(approvalsCommand, ['propose', 'policy.set.publish', '{x'])).error, UsageError);
  } finally {
    process.env['COMPANYOS_URL'] = saved.url;
    process.env['COMPANYOS_TOKEN'] = saved.token;
    if (saved.url === undefined) delete process.env['COMPANYOS_URL'];
    if (saved.token === undefined) delete process.env['COMPANYOS_TOKEN'];
    await new Promise((r) => server.close(r));
    await api.close();
    await memory.close();
  }
});

cli.run();
