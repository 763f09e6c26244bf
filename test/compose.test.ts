// compose.yaml against the Compose Specification's JSON Schema (test/vectors/compose-spec), plus what the schema
// cannot see: a service others wait on as healthy must have a health check that can run in its image.
import { readFileSync } from 'node:fs';
import { resolve } from 'node:path';
import { Ajv } from 'ajv';
import { suite } from 'uvu';
import * as assert from 'uvu/assert';
import { parse } from 'yaml';

const root = resolve(import.meta.dirname, '..');
const test = suite('compose.yaml');
const schema = JSON.parse(readFileSync(resolve(root, 'test/vectors/compose-spec/compose-spec.json'), 'utf8')) as object;
const compose = parse(readFileSync(resolve(root, 'compose.yaml'), 'utf8'), { merge: true }) as {
  services: Record<string, { image?: string; healthcheck?: { test?: string[] }; depends_on?: Record<string, { condition?: string }> }>;
};

test('is valid under the compose-spec schema', () => {
  // The spec names its meta-schema by an https URL Ajv does not register; the schema itself is draft-07.
  const ajv = new Ajv({ allErrors: true, strict: false, validateSchema: false });
  const validate = ajv.compile(schema);
  const ok = validate(compose);
  assert.ok(ok, JSON.stringify(validate.errors, null, 1));
});

test('the schema check can fail: a misspelt service field is refused', () => {
  const validate = new Ajv({ strict: false, validateSchema: false }).compile(schema);
  const misspelt = { ...compose, services: { ...compose.services, nats: { ...compose.services['nats'], helthcheck: {} } } };
  assert.not.ok(validate(misspelt));
});

// Images built FROM scratch have no shell and no wget/curl: a CMD-SHELL check there never passes, and every
// service that waits for it as healthy never starts (nats:2.10 did exactly that; its -alpine variant has both).
const scratchImage = (image: string) => /^nats:(?!.*alpine)/.test(image);

test('every service waited on as healthy has a health check its image can run', () => {
  const waitedOn = new Set(
    Object.values(compose.services).flatMap((s) => Object.entries(s.depends_on ?? {}).filter(([, d]) => d.condition === 'service_healthy').map(([name]) => name)),
  );
  assert.ok(waitedOn.size > 0);
  for (const name of waitedOn) {
    const service = compose.services[name];
    assert.ok(service?.healthcheck?.test !== undefined, `${name} has no health check`);
    if (service.image !== undefined && service.healthcheck.test[0] === 'CMD-SHELL') {
      assert.not.ok(scratchImage(service.image), `${name}: ${service.image} has no shell for its CMD-SHELL health check`);
    }
  }
});

test.run();
