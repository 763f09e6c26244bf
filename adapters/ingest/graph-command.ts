// Graph commands as ingest mappers produce them: the `{type, payload}` a client would POST to
// /v1/commands/{type}, node-id encoding for foreign names, and a final check against the command codecs.
import { createHash } from 'node:crypto';
import { isLeft, left, right, type Either } from 'fp-ts/lib/Either.js';
import type * as t from 'io-ts';
import { GRAPH_COMMAND_CODECS, type EdgeType, type GraphEdgeAssert, type GraphNodeUpsert, type NodeType } from '../../schemas/graph.js';
import type { JsonObject } from '../../schemas/json.js';
import type { Provenance } from '../../schemas/provenance.js';
import { formatValidationErrors } from '../../schemas/validation.js';

/** The provenance a mapper writes: the client's part of the envelope (server defaults fill the rest). */
export type IngestProvenance = Pick<Provenance, 'sourceSystem' | 'observedAt'> &
  Partial<Pick<Provenance, 'effectiveAt' | 'externalId' | 'evidenceRefs' | 'piiFlags' | 'reason'>>;

export type GraphCommand =
  | { readonly type: 'graph.node.upsert'; readonly payload: t.OutputOf<typeof GraphNodeUpsert> }
  | { readonly type: 'graph.edge.assert'; readonly payload: t.OutputOf<typeof GraphEdgeAssert> };

export const nodeUpsert = (id: string, type: NodeType, region: string, attributes: JsonObject, provenance: IngestProvenance): GraphCommand => ({
  type: 'graph.node.upsert',
  payload: { id, type, region, attributes, provenance },
});

export const edgeAssert = (
  type: EdgeType,
  from: string,
  to: string,
  region: string,
  provenance: IngestProvenance,
  attributes: JsonObject = {},
): GraphCommand => ({ type: 'graph.edge.assert', payload: { type, from, to, region, attributes, provenance } });

/** What a command is about, for summaries and error messages: a node id or an edge triple. */
export const commandTarget = (c: GraphCommand): string =>
  c.type === 'graph.node.upsert' ? c.payload.id : `${c.payload.from} -${c.payload.type}-> ${c.payload.to}`;

/**
 * One part of a node id taken from a foreign name (a repository, a dataset namespace). Node ids may not
 * hold '/' or '|', and the mappers join parts with '@' and '#', so '%', '/', '|', '#', '@' and control
 * characters are percent-encoded: reversible with decodeURIComponent, and two different names never share
 * an id. `octo-org/hello-world` → `octo-org%2Fhello-world`.
 */
export const idPart = (name: string): string => name.replace(/[%/|#@\u0000-\u001f\u007f-\u009f]/gu, (ch) => encodeURIComponent(ch));

/** Node ids are at most 256 characters; a longer one becomes `<prefix>sha256:<hex of the long id>`. */
export const boundedId = (prefix: string, rest: string): string => {
  const id = `${prefix}${rest}`;
  return id.length <= 256 ? id : `${prefix}sha256:${createHash('sha256').update(rest).digest('hex')}`;
};

/** The instant in one canonical form (UTC, milliseconds), so equal instants give byte-identical commands. */
export const utc = (timestamp: string): string => new Date(timestamp).toISOString();

/** Every command decodes with its codec, or the mapping is refused naming the command and the field. */
export function checkedCommands(commands: readonly GraphCommand[]): Either<readonly string[], readonly GraphCommand[]> {
  const errors: string[] = [];
  commands.forEach((c, i) => {
    const decoded = GRAPH_COMMAND_CODECS[c.type].decode(c.payload);
    if (isLeft(decoded)) {
      errors.push(...formatValidationErrors(decoded.left).map((e) => `command ${i} (${c.type} ${commandTarget(c)}): ${e}`));
    }
  });
  return errors.length > 0 ? left(errors) : right(commands);
}
