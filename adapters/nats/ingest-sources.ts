// Source payloads on `ingest.<tenant>.github|openlineage|metering` → the work their HTTP endpoints do:
// GitHub webhooks and OpenLineage RunEvents through the same pure mappers, metering records as sent.
import { isLeft } from 'fp-ts/lib/Either.js';
import type { RequestInfo } from '../../commands/envelope.js';
import { MeteringIngestBody } from '../../schemas/metering.js';
import { formatValidationErrors } from '../../schemas/validation.js';
import type { GraphCommand } from '../ingest/graph-command.js';
import { isMappedGithubEvent, mapGithubEvent } from '../ingest/github.js';
import { mapOpenLineageEvents } from '../ingest/openlineage.js';
import { HEADERS, reject, servicePrincipal, type IngestDelivery, type Parsed, type Reject } from './ingest-delivery.js';
import type { IngestSource } from './subjects.js';

/** What every ingest message has once its subject, body and headers are read. */
export interface Envelope {
  readonly tenant: string;
  readonly payload: unknown;
  /** The service the work runs as. */
  readonly actor: string;
  /** The Companyos-Region header, when sent. */
  readonly region: string | undefined;
  readonly info: RequestInfo;
}

// As POST /v1/ingest/github accepts them.
const EVENT_NAME = /^[a-z_]{1,64}$/;
const DELIVERY = /^[A-Za-z0-9-]{1,64}$/;

export function parseSource(source: IngestSource, e: Envelope, d: IngestDelivery): Parsed {
  switch (source) {
    case 'github':
      return parseGithub(e, d);
    case 'openlineage':
      return parseOpenLineage(e);
    case 'metering':
      return parseMetering(e);
  }
}

// No HMAC here, unlike the webhook endpoint: NATS account permissions on `ingest.<tenant>.>` authenticate the
// publisher, as for every other ingest kind (a bridge that checked GitHub's signature publishes here).
function parseGithub(e: Envelope, d: IngestDelivery): Parsed {
  if (e.region === undefined) return regionRequired('GitHub payloads name no region');
  const event = d.header(HEADERS.githubEvent);
  if (event === undefined || !EVENT_NAME.test(event)) {
    return reject(400, 'bad-event-header', `send the ${HEADERS.githubEvent} header naming the webhook event, e.g. push`);
  }
  // As over HTTP, `ping` and events that are not mapped are acknowledged without writing anything.
  if (!isMappedGithubEvent(event)) return graphBatch('github', e, e.info, e.region, []);
  const mapped = mapGithubEvent(event, e.payload, { region: e.region });
  if (isLeft(mapped)) return invalid(`${event} payload`, mapped.left);
  // As over HTTP, the delivery id correlates the events; the commands' natural keys make a redelivery a no-op.
  const delivery = d.header(HEADERS.githubDelivery);
  const info = delivery !== undefined && DELIVERY.test(delivery) ? { ...e.info, correlationId: `github-delivery:${delivery}` } : e.info;
  return graphBatch('github', e, info, e.region, mapped.right);
}

function parseOpenLineage(e: Envelope): Parsed {
  if (e.region === undefined) return regionRequired('OpenLineage events name no region');
  const mapped = mapOpenLineageEvents(e.payload, { region: e.region });
  if (isLeft(mapped)) return invalid('OpenLineage body', mapped.left);
  return graphBatch('openlineage', e, e.info, e.region, mapped.right);
}

/** The HTTP body `{records, region?}`, or just its records array. */
function parseMetering(e: Envelope): Parsed {
  const body = MeteringIngestBody.decode(Array.isArray(e.payload) ? { records: e.payload } : e.payload);
  if (isLeft(body)) return invalid('metering batch', formatValidationErrors(body.left));
  // As over HTTP: the body's region, else the caller's (here the header).
  const region = body.right.region ?? e.region;
  if (region === undefined) return regionRequired('the batch names no "region"');
  return { kind: 'metering', tenant: e.tenant, principal: servicePrincipal(e.actor, e.tenant, e.region ?? region), info: e.info, records: body.right.records, region };
}

const graphBatch = (source: 'github' | 'openlineage', e: Envelope, info: RequestInfo, region: string, commands: readonly GraphCommand[]): Parsed => ({
  kind: 'graph-batch',
  source,
  tenant: e.tenant,
  principal: servicePrincipal(e.actor, e.tenant, region),
  info,
  commands,
});

const regionRequired = (why: string): Reject =>
  reject(422, 'region-required', `send the ${HEADERS.region} header: ${why}, and every fact is written in one region`);

/** As the HTTP endpoints answer a payload without the fields the mapping needs: 400, every field named. */
const invalid = (what: string, errors: readonly string[]): Reject => reject(400, 'validation', `the ${what} is not valid: ${errors.join('; ')}`);
