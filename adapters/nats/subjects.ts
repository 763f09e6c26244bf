// Subject names of the NATS side: events out on `companyos.<tenant>.<category>.<type>`, commands (or source
// payloads) in on `ingest.<tenant>.<command type | source>`, rejects to `deadletter.ingest.<tenant>.<kind>`.
// Every variable part is one token, escaped by subject-token.ts (graph.node.upsert → graph_node_upsert).
import { parseStream } from '../../schemas/streams.js';
import { decodeToken, encodeToken } from './subject-token.js';

/** Where a committed event is published. A stream name that is not `<tenant>/<category>[/<id>]` gets tenant ''. */
export function eventSubject(prefix: string, stream: string, type: string): string {
  const parsed = parseStream(stream);
  const tenant = parsed?.tenant ?? '';
  const category = parsed?.category ?? stream;
  return `${prefix}.${encodeToken(tenant)}.${encodeToken(category)}.${encodeToken(type)}`;
}

/** Where a producer publishes a command of `commandType` for `tenant`. */
export const ingestSubject = (prefix: string, tenant: string, commandType: string): string =>
  `${prefix}.${encodeToken(tenant)}.${encodeToken(commandType)}`;

export interface IngestAddress {
  readonly tenant: string;
  /** The last token, decoded: a command type, or one of INGEST_SOURCES. */
  readonly commandType: string;
}

/**
 * Last tokens that name a source format rather than a command: the body is that source's payload, mapped as
 * its HTTP endpoint maps it. No command type can collide: every command type has a '.' (written '_').
 */
export const INGEST_SOURCES = ['github', 'openlineage', 'metering'] as const;
export type IngestSource = (typeof INGEST_SOURCES)[number];
export const isIngestSource = (kind: string): kind is IngestSource => (INGEST_SOURCES as readonly string[]).includes(kind);

/** Tenant and command type of an ingest subject; undefined unless it is exactly `<prefix>.<tenant>.<kind>`. */
export function parseIngestSubject(prefix: string, subject: string): IngestAddress | undefined {
  if (!subject.startsWith(`${prefix}.`)) return undefined;
  const tokens = subject.slice(prefix.length + 1).split('.');
  if (tokens.length !== 2) return undefined;
  const tenant = decodeToken(tokens[0]!);
  const commandType = decodeToken(tokens[1]!);
  if (tenant === undefined || commandType === undefined) return undefined;
  return { tenant, commandType };
}

/** The dead-letter subject of an ingest subject: the part after the ingest prefix, under `deadLetterPrefix`. */
export const deadLetterSubject = (ingestPrefix: string, deadLetterPrefix: string, subject: string): string =>
  subject.startsWith(`${ingestPrefix}.`) ? `${deadLetterPrefix}${subject.slice(ingestPrefix.length)}` : `${deadLetterPrefix}.${subject}`;
