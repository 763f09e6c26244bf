// COMPANYOS_TENANT_REGIONS: tenant=region,region;tenant=region, each a valid tenant and region, no tenant twice.
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { loadConfig } from './config.js';

const test = suite('COMPANYOS_TENANT_REGIONS');

test('tenants sovereign to region sets; unset, none', () => {
  const config = loadConfig({ COMPANYOS_TENANT_REGIONS: 'acme=eu-west, eu-central; globex=us-east' });
  assert.ok(isRight(config));
  if (isRight(config)) assert.equal(config.right.tenantRegions, { acme: ['eu-west', 'eu-central'], globex: ['us-east'] });
  const unset = loadConfig({});
  assert.ok(isRight(unset));
  if (isRight(unset)) assert.equal(unset.right.tenantRegions, {});
});

test('a malformed list is refused naming the variable', () => {
  for (const bad of ['acme', 'acme=', 'Acme=eu-west', 'acme=EU', 'acme=eu-west;acme=us-east', 'acme=eu-west=x', ';']) {
    const config = loadConfig({ COMPANYOS_TENANT_REGIONS: bad });
    assert.ok(isLeft(config), bad);
    if (isLeft(config)) assert.match(config.left.join('\n'), /COMPANYOS_TENANT_REGIONS/);
  }
});

test.run();
