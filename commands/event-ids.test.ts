import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { dedupedEventId, uuidV5 } from './event-ids.js';

const ids = suite('event ids');

ids('uuidV5 matches the RFC 9562 example (DNS namespace, www.example.com)', () => {
  const dns = Buffer.from('6ba7b8109dad11d180b400c04fd430c8', 'hex');
  assert.is(uuidV5('www.example.com', dns), '2ed6657d-e927-568b-95e1-2665a8aea6a2');
});

ids('the same tenant and key give the same id; anything else differs', () => {
  const a = dedupedEventId('acme', 'key-1', 0);
  assert.is(dedupedEventId('acme', 'key-1', 0), a);
  assert.is.not(dedupedEventId('other', 'key-1', 0), a);
  assert.is.not(dedupedEventId('acme', 'key-2', 0), a);
  assert.is.not(dedupedEventId('acme', 'key-1', 1), a);
  assert.match(a, /^[0-9a-f]{8}-[0-9a-f]{4}-5[0-9a-f]{3}-[89ab][0-9a-f]{3}-[0-9a-f]{12}$/);
});

ids.run();
