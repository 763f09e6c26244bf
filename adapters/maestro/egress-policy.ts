// The one decision every connection of an http step passes, on the address actually connected to.
// Internal addresses (loopback, private, link-local and cloud metadata, multicast, reserved, their IPv6
// equivalents) are reachable only through a CIDR entry that names them; host names never unlock them.
import { BlockList, isIP } from 'node:net';
import { normalHost, type EgressPolicy, type EgressRule } from '../../schemas/egress.js';

// IANA special-purpose registries: nothing here is "the internet". IPv6 is public only inside global
// unicast (2000::/3) and outside its special blocks; IPv4-mapped addresses (::ffff:a.b.c.d) are judged
// by the IPv4 rules (BlockList compares them so), and other IPv4-embedding forms (NAT64, 6to4, Teredo)
// count as internal.
const INTERNAL = new BlockList();
for (const [net, prefix] of [
  ['0.0.0.0', 8], ['10.0.0.0', 8], ['100.64.0.0', 10], ['127.0.0.0', 8], ['169.254.0.0', 16], ['172.16.0.0', 12],
  ['192.0.0.0', 24], ['192.0.2.0', 24], ['192.88.99.0', 24], ['192.168.0.0', 16], ['198.18.0.0', 15],
  ['198.51.100.0', 24], ['203.0.113.0', 24], ['224.0.0.0', 4], ['240.0.0.0', 4],
] as const) INTERNAL.addSubnet(net, prefix, 'ipv4');
for (const [net, prefix] of [
  ['::', 96], ['64:ff9b::', 96], ['64:ff9b:1::', 48], ['100::', 64], ['2001::', 23], ['2001:db8::', 32], ['2002::', 16],
  ['3fff::', 20], ['fc00::', 7], ['fe80::', 10], ['fec0::', 10], ['ff00::', 8],
] as const) INTERNAL.addSubnet(net, prefix, 'ipv6');
const GLOBAL_V6 = new BlockList();
GLOBAL_V6.addSubnet('2000::', 3, 'ipv6');
const MAPPED_V4 = new BlockList();
MAPPED_V4.addSubnet('0.0.0.0', 0, 'ipv4');

/** Whether `address` (as connected to) is a public internet address. */
export function isPublicAddress(address: string): boolean {
  const version = isIP(address);
  if (version === 4) return !INTERNAL.check(address, 'ipv4');
  if (version !== 6) return false;
  // ::ffff:a.b.c.d: BlockList matches it against the IPv4 blocks; decide it as the IPv4 address it is.
  if (/^::ffff:/i.test(address) && MAPPED_V4.check(address, 'ipv6')) return !INTERNAL.check(address, 'ipv6');
  return GLOBAL_V6.check(address, 'ipv6') && !INTERNAL.check(address, 'ipv6');
}

const cidrList = (rules: readonly EgressRule[]): BlockList => {
  const list = new BlockList();
  for (const r of rules) if (r.kind === 'cidr') list.addSubnet(r.address, r.prefix, r.family);
  return list;
};

/**
 * The decision for one connection: to `address`, for the URL's host `name` (undefined for an IP literal).
 * A CIDR entry allows any address inside it; otherwise the address must be public and the name (or `*`)
 * allowed. Addresses that do not parse are refused.
 */
export function egressDecider(policy: EgressPolicy): (name: string | undefined, address: string) => boolean {
  const cidrs = cidrList(policy.allow);
  const anyPublic = policy.allow.some((r) => r.kind === 'public');
  return (name, address) => {
    const version = isIP(address);
    if (version === 0) return false;
    if (cidrs.check(address, version === 4 ? 'ipv4' : 'ipv6')) return true;
    if (!isPublicAddress(address)) return false;
    if (anyPublic) return true;
    if (name === undefined) return false;
    const host = normalHost(name);
    return policy.allow.some((r) => (r.kind === 'host' && r.name === host) || (r.kind === 'domain' && host.endsWith(`.${r.suffix}`)));
  };
}
