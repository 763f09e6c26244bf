// The in-process bus: NATS wildcard matching, message ids deduplicated within the window.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import type { BusMessage } from './bus.js';
import { matches, MemoryBus } from './memory-bus.js';

const test = suite('nats memory bus');
const bytes = (s: string) => new TextEncoder().encode(s);
const m = (p: string, s: string) => matches(p.split('.'), s.split('.'));

test('subject matching follows NATS: * is one token, > is one or more', () => {
  assert.ok(m('companyos.>', 'companyos.acme.graph_node.x'));
  assert.not.ok(m('companyos.>', 'companyos'));
  assert.ok(m('companyos.*.audit.*', 'companyos.acme.audit.access_denied'));
  assert.not.ok(m('companyos.*.audit.*', 'companyos.acme.audit'));
  assert.not.ok(m('companyos.acme', 'companyos.acme.x'));
  assert.ok(m('a.b', 'a.b'));
});

test('subscribers get matching messages with their headers; a repeated id within the window is a duplicate', async () => {
  let now = 0;
  const bus = new MemoryBus({ duplicateWindowMs: 1000, now: () => now });
  const got: BusMessage[] = [];
  const sub = bus.subscribe('companyos.acme.>', (x) => got.push(x));
  assert.equal(await bus.publish('companyos.acme.a.b', bytes('1'), { msgId: 'e1', headers: { 'Companyos-Position': '7' } }), { duplicate: false });
  assert.equal(await bus.publish('companyos.acme.a.b', bytes('1'), { msgId: 'e1' }), { duplicate: true });
  await bus.publish('companyos.other.a.b', bytes('2'), { msgId: 'e2' });
  assert.is(got.length, 1);
  assert.equal(got[0]!.headers, { 'Companyos-Position': '7', 'Nats-Msg-Id': 'e1' });
  now = 1000; // the window has passed: the id is new again
  assert.equal(await bus.publish('companyos.acme.a.b', bytes('1'), { msgId: 'e1' }), { duplicate: false });
  assert.is(got.length, 2);
  sub.close();
  await bus.publish('companyos.acme.a.c', bytes('3'));
  assert.is(got.length, 2);
});

test('a throwing subscriber does not fail the publish or starve the others', async () => {
  const bus = new MemoryBus();
  let seen = 0;
  bus.subscribe('x', () => {
    throw new Error('subscriber bug');
  });
  bus.subscribe('x', () => seen++);
  await bus.publish('x', bytes('1'));
  assert.is(seen, 1);
});

test.run();
