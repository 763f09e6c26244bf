// The egress decision: which addresses are public, and what an allow-list lets a connection reach.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { DEFAULT_EGRESS, parseEgressRule, type EgressRule } from '../../schemas/egress.js';
import { egressDecider, isPublicAddress } from './egress-policy.js';

const rules = (...entries: string[]): EgressRule[] => entries.map((e) => parseEgressRule(e) as EgressRule);

test('internal addresses of every kind are not public; IPv4-mapped IPv6 is judged as its IPv4 address', () => {
  const internal = [
    '127.0.0.1', '127.255.255.254', '0.0.0.0', '0.1.2.3', '10.0.0.1', '172.16.0.1', '172.31.255.255', '192.168.1.1', '100.64.0.1',
    '169.254.169.254', '224.0.0.1', '239.255.255.250', '255.255.255.255', '240.0.0.1', '192.0.0.8', '198.18.0.1',
    '::1', '::', 'fe80::1', 'fd00::1', 'fc00::1', 'ff02::1', '::ffff:127.0.0.1', '::ffff:7f00:1', '::ffff:a9fe:a9fe', '::ffff:10.0.0.1',
    '::127.0.0.1', '64:ff9b::7f00:1', '2002:7f00:1::1', '2001:db8::1', '2001::1', 'fec0::1',
  ];
  for (const a of internal) assert.not.ok(isPublicAddress(a), a);
  for (const a of ['93.184.216.34', '8.8.8.8', '1.1.1.1', '2606:4700:4700::1111', '2a00:1450:4001:80b::200e', '::ffff:8.8.8.8']) assert.ok(isPublicAddress(a), a);
  for (const a of ['localhost', '', '2130706433', '0x7f.1', '127.1']) assert.not.ok(isPublicAddress(a), `not an address: ${a}`);
});

test('the decision: CIDRs allow what they contain; names only ever reach public addresses', () => {
  const byDefault = egressDecider(DEFAULT_EGRESS);
  assert.ok(byDefault('example.com', '93.184.216.34'));
  assert.not.ok(byDefault('example.com', '127.0.0.1'), 'a public name resolving to loopback (DNS rebinding)');
  assert.not.ok(byDefault(undefined, '169.254.169.254'));
  assert.not.ok(byDefault(undefined, '::ffff:127.0.0.1'));

  const narrow = egressDecider({ allow: rules('deploy.example.com', '*.example.org', '127.0.0.1/32'), followRedirects: false });
  assert.ok(narrow('deploy.example.com.', '93.184.216.34'));
  assert.ok(narrow('a.b.example.org', '93.184.216.34'));
  assert.not.ok(narrow('example.org', '93.184.216.34'), '*.example.org is its subdomains');
  assert.not.ok(narrow('other.com', '93.184.216.34'), 'no * entry: other public hosts are refused');
  assert.not.ok(narrow('deploy.example.com', '10.0.0.5'), 'a host entry never unlocks an internal address');
  assert.ok(narrow(undefined, '127.0.0.1'));
  assert.ok(narrow(undefined, '::ffff:127.0.0.1'), 'the mapped form of an allowed address');
  assert.not.ok(narrow(undefined, '127.0.0.2'));
  assert.not.ok(narrow(undefined, '::1'));
});

test.run();
