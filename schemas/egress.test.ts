// The egress policy's pure parts: allow-list entries, which addresses are public, and the decision.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { loadConfig } from './config.js';
import { DEFAULT_EGRESS, egressDecider, isPublicAddress, parseEgressRule, type EgressRule } from './egress.js';

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

test('allow-list entries: *, host names, *.domain, addresses and CIDRs; anything else names itself', () => {
  assert.equal(rules('*', 'Deploy.Example.com.', '*.example.org', '10.0.0.0/8', '127.0.0.1', '::1', 'fd00::/8'), [
    { kind: 'public' },
    { kind: 'host', name: 'deploy.example.com' },
    { kind: 'domain', suffix: 'example.org' },
    { kind: 'cidr', address: '10.0.0.0', prefix: 8, family: 'ipv4' },
    { kind: 'cidr', address: '127.0.0.1', prefix: 32, family: 'ipv4' },
    { kind: 'cidr', address: '::1', prefix: 128, family: 'ipv6' },
    { kind: 'cidr', address: 'fd00::', prefix: 8, family: 'ipv6' },
  ]);
  for (const bad of ['10.0.0.0/33', '::1/129', 'http://x', 'a b', '*.', '10.0.0.0/x']) assert.type(parseEgressRule(bad), 'string', bad);
  const config = loadConfig({ COMPANYOS_EGRESS_ALLOW: '127.0.0.1/32, http://evil' });
  assert.ok(isLeft(config));
  if (isLeft(config)) assert.match(config.left.join('\n'), /COMPANYOS_EGRESS_ALLOW: "http:\/\/evil": expected \*, a host name/);
  const ok = loadConfig({ COMPANYOS_EGRESS_ALLOW: '127.0.0.1/32', COMPANYOS_EGRESS_FOLLOW_REDIRECTS: 'true' });
  assert.ok(isRight(ok));
  if (isRight(ok)) assert.equal(ok.right.maestro.egress, { allow: rules('127.0.0.1/32'), followRedirects: true });
  const unset = loadConfig({});
  if (isRight(unset)) assert.equal(unset.right.maestro.egress, DEFAULT_EGRESS);
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
