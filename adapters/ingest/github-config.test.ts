// Specifications of COMPANYOS_GITHUB_WEBHOOKS: `tenant:region:secret,…`, checked at start-up with
// messages that name the entry and never echo a secret.
import { test } from 'uvu';
import * as assert from 'uvu/assert';
import { isLeft, isRight } from 'fp-ts/lib/Either.js';
import { loadConfig } from '../../schemas/config.js';

const errorsOf = (value: string): readonly string[] => {
  const r = loadConfig({ COMPANYOS_GITHUB_WEBHOOKS: value });
  if (!isLeft(r)) throw new Error('expected a configuration error');
  return r.left;
};

test('unset: no secrets (every delivery is refused)', () => {
  const r = loadConfig({});
  assert.ok(isRight(r) && r.right.githubWebhooks.length === 0);
});

test('entries: tenant and region, the secret being the rest (it may hold ":")', () => {
  const r = loadConfig({ COMPANYOS_GITHUB_WEBHOOKS: 'acme:us-east:0123456789abcdef, acme:us-east:rotated:secret:value1,globex:eu-west:another-secret-value' });
  assert.ok(isRight(r));
  if (isRight(r)) {
    assert.equal(r.right.githubWebhooks, [
      { tenant: 'acme', region: 'us-east', secret: '0123456789abcdef' },
      { tenant: 'acme', region: 'us-east', secret: 'rotated:secret:value1' },
      { tenant: 'globex', region: 'eu-west', secret: 'another-secret-value' },
    ]);
  }
});

test('bad entries stop start-up, naming the variable and the entry, never the secret', () => {
  assert.equal(errorsOf('acme'), ['COMPANYOS_GITHUB_WEBHOOKS: entry 1: expected tenant:region:secret']);
  assert.equal(errorsOf('Acme:us-east:0123456789abcdef'), ['COMPANYOS_GITHUB_WEBHOOKS: entry 1: tenant "Acme" is not a tenant id (lower-case slug)']);
  assert.equal(errorsOf('acme:US:0123456789abcdef'), ['COMPANYOS_GITHUB_WEBHOOKS: entry 1: region "US" is not a region (lower-case slug)']);
  const short = errorsOf('acme:us-east:0123456789abcdef,globex:eu-west:tooshort');
  assert.equal(short, ['COMPANYOS_GITHUB_WEBHOOKS: entry 2 (tenant globex): the secret must be at least 16 characters without whitespace']);
  const twice = errorsOf('acme:us-east:0123456789abcdef,globex:eu-west:0123456789abcdef');
  assert.equal(twice, ['COMPANYOS_GITHUB_WEBHOOKS: entry 2 (tenant globex): the same secret is listed twice; a secret must name one tenant']);
  for (const line of [...short, ...twice]) assert.not.ok(line.includes('0123456789abcdef') || line.includes('tooshort'));
});

test.run();
