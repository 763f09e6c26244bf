// The README's command reference is exactly what bin/docs/command-reference.ts prints from the examples, so
// the README cannot drift from the payloads the server accepts (those are tested in openapi-examples.test.ts).
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { COMMAND_EXAMPLES, PLAN_STEP_EXAMPLES } from '../../adapters/http/openapi-examples.js';
import { END, START, commandReference, withReference } from './command-reference.js';

const README = resolve(import.meta.dirname, '../../README.md');

test('the README holds the generated block, once, as printed now', async () => {
  const text = await readFile(README, 'utf8');
  assert.is(text.split(START).length, 2, 'one start marker');
  assert.is(text.split(END).length, 2, 'one end marker');
  const block = text.slice(text.indexOf(START), text.indexOf(END) + END.length);
  // On a difference: node --import tsx bin/docs/command-reference.ts --write README.md
  assert.fixture(block, commandReference());
});

test('the reference names every command type with its example, and every plan block', () => {
  const reference = commandReference();
  for (const [type, body] of Object.entries(COMMAND_EXAMPLES)) {
    assert.ok(reference.includes(`\`${type}\`: `), type);
    assert.ok(reference.includes(JSON.stringify(body)), `${type}'s example`);
  }
  for (const block of PLAN_STEP_EXAMPLES) assert.ok(reference.includes(`\`\`\`yaml\n${block.yaml}\n\`\`\``));
  assert.not.match(reference, /```sh/, 'no shell blocks: the README test runs those');
});

test('--write replaces only the block between the markers', () => {
  assert.is(withReference(`a\n${START}\nold\n${END}\nb`, 'NEW'), 'a\nNEW\nb');
  assert.is(withReference('no markers here', 'NEW'), undefined);
});

test.run();
