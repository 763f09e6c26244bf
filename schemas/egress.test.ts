// The egress allow-list's codec: entries, and COMPANYOS_EGRESS_ALLOW in the configuration.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { loadConfig } from './config.js';
import { DEFAULT_EGRESS, parseEgressRule, type EgressRule } from './egress.js';

const rules = (...entries: string[]): EgressRule[] => entries.map((e) => parseEgressRule(e) as EgressRule);

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

test.run();
