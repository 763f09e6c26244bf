// Reads of the PostgreSQL log: stream reads, $all pages and the head, all below the xmin horizon (only
// rows whose transaction is older than the snapshot's xmin), so a late commit stalls readers but is never
// skipped. Event data is parsed lazily, on first read.
import type { EventFilter, ReadStreamOptions, RecordedEvent } from '../event-log.js';
import type { JsonValue } from '../../../schemas/json.js';
import type { PostgresDatabase } from '../../read-store/postgres/database.js';
import { attachJsonText } from '../record-json.js';
import { mapError } from './errors.js';
import { StreamReads } from './stream-reads.js';

interface EventRow {
  readonly position: bigint;
  readonly stream: string;
  readonly revision: bigint;
  readonly id: string;
  readonly type: string;
  /** jsonb as text: parsed on first read (see toRecorded). */
  readonly data: string;
  /** Parsed by the driver, or jsonb as text when the reader asked for it (ReadAllOptions.jsonText). */
  readonly metadata: JsonValue;
}

/** A page of $all: its events and, when asked for, the highest settled position of any stream. */
export interface AllPage {
  readonly events: RecordedEvent[];
  readonly horizon: bigint | undefined;
}

export class LogReader {
  readonly #db: PostgresDatabase<any>;
  /** The schema, quoted. */
  readonly #s: string;
  readonly #readStreamForwards: string;
  readonly #readStreamBackwards: string;
  readonly #wholeStreams: StreamReads<EventRow>;

  constructor(db: PostgresDatabase<any>, quotedSchema: string) {
    this.#db = db;
    const s = (this.#s = quotedSchema);
    this.#readStreamForwards = `
      SELECT position, stream, revision, id::text AS id, type, data::text AS data, metadata FROM ${s}.events
       WHERE stream = $1 AND revision >= coalesce($2::bigint, 0)
       ORDER BY revision LIMIT $3::bigint`;
    this.#readStreamBackwards = `
      SELECT position, stream, revision, id::text AS id, type, data::text AS data, metadata FROM ${s}.events
       WHERE stream = $1 AND ($2::bigint IS NULL OR revision <= $2::bigint)
       ORDER BY revision DESC LIMIT $3::bigint`;
    // The reads of one turn, as (index, stream, first revision) records: one statement, each stream by its index.
    const readStreams = `
      SELECT q.i, e.position, e.stream, e.revision, e.id::text AS id, e.type, e.data::text AS data, e.metadata
        FROM json_to_recordset($1::json) AS q(i int, stream text, from_revision bigint)
        JOIN LATERAL (SELECT * FROM ${s}.events WHERE stream = q.stream AND revision >= q.from_revision ORDER BY revision) e ON true
       ORDER BY q.i, e.revision`;
    this.#wholeStreams = new StreamReads(async (reads) => {
      if (reads.length === 1) return [await this.#read(this.#readStreamForwards, [reads[0]!.stream, reads[0]!.fromRevision.toString(), null])];
      const rows = await this.#read(readStreams, [JSON.stringify(reads.map((r, i) => ({ i, stream: r.stream, from_revision: r.fromRevision.toString() })))]);
      const answers = reads.map((): EventRow[] => []);
      for (const row of rows as (EventRow & { readonly i: number })[]) answers[row.i]!.push(row);
      return answers;
    });
  }

  async readStream(stream: string, options: ReadStreamOptions = {}): Promise<readonly RecordedEvent[]> {
    const backwards = options.direction === 'backwards';
    const limit = limitParam(options.maxCount);
    if (limit === '0') return [];
    const from = options.fromRevision;
    if (from !== undefined && (typeof from !== 'bigint' || from < 0n)) {
      throw new RangeError('readStream: fromRevision must be a non-negative bigint');
    }
    // A whole stream forwards (what deciding a command reads) shares a statement with the turn's other such reads;
    // a name PostgreSQL's json cannot carry as text (a NUL) is read alone, so its error is its own.
    if (!backwards && limit === null && !stream.includes('\0')) return (await this.#wholeStreams.read(stream, from ?? 0n)).map(toRecorded);
    const text = backwards ? this.#readStreamBackwards : this.#readStreamForwards;
    const rows = await this.#read(text, [stream, from === undefined ? null : from.toString(), limit]);
    return rows.map(toRecorded);
  }

  /**
   * Events after `after` below the xmin horizon, in position order. With `horizon`, also the highest
   * settled position of any stream (same snapshot), so a filtered reader can move past events it
   * does not want instead of scanning them again on every poll.
   */
  async readAllPage(
    after: bigint | undefined,
    maxCount: number | undefined,
    filter: EventFilter | undefined,
    horizon: boolean,
    jsonText = false,
  ): Promise<AllPage> {
    if (after !== undefined && typeof after !== 'bigint') throw new TypeError('readAll: after must be a bigint');
    const limit = limitParam(maxCount);
    if (limit === '0') return { events: [], horizon: undefined };
    const params: (string | null)[] = [(after ?? -1n).toString(), limit];
    let where = '';
    if (filter) {
      const { column, prefixes } =
        'streamPrefixes' in filter
          ? { column: 'stream', prefixes: filter.streamPrefixes }
          : { column: 'type', prefixes: filter.eventTypePrefixes };
      if (!Array.isArray(prefixes) || prefixes.length === 0) throw new TypeError('filter: at least one prefix');
      const terms = prefixes.map((p) => {
        if (typeof p !== 'string') throw new TypeError('filter: prefixes must be strings');
        params.push(escapeLike(p) + '%');
        return `${column} LIKE $${params.length}`;
      });
      where = `AND (${terms.join(' OR ')})`;
    }
    const s = this.#s;
    const page = `SELECT position, stream, revision, id::text AS id, type, data::text AS data, ${jsonText ? 'metadata::text AS metadata' : 'metadata'} FROM ${s}.events
      WHERE position > $1::bigint AND tx_id < pg_snapshot_xmin(pg_current_snapshot()) ${where}
      ORDER BY position LIMIT $2::bigint`;
    const record = jsonText ? toRecordedFromText : toRecorded;
    if (!horizon) return { events: (await this.#read(page, params)).map(record), horizon: undefined };
    const rows = await this.#read(
      `SELECT * FROM (${page}) page
       UNION ALL
       SELECT (SELECT max(position) FROM ${s}.events
                WHERE position > $1::bigint AND tx_id < pg_snapshot_xmin(pg_current_snapshot())),
              NULL, NULL, NULL, NULL, NULL, NULL`,
      params,
    );
    const events: RecordedEvent[] = [];
    let top: bigint | undefined;
    for (const r of rows) {
      if (r.stream === null) top = r.position ?? undefined;
      else events.push(record(r));
    }
    return { events, horizon: top };
  }

  async headPosition(): Promise<bigint | undefined> {
    // Descending on the position index, skipping rows above the horizon (commits still in flight).
    const rows = await this.#read(
      `SELECT position FROM ${this.#s}.events
       WHERE tx_id < pg_snapshot_xmin(pg_current_snapshot()) ORDER BY position DESC LIMIT 1`,
      [],
    );
    return rows[0]?.position ?? undefined;
  }

  /** The highest committed position, above the horizon too (the primary key's index: one step). */
  async lastPosition(): Promise<bigint | undefined> {
    const rows = await this.#read(`SELECT position FROM ${this.#s}.events ORDER BY position DESC LIMIT 1`, []);
    return rows[0]?.position ?? undefined;
  }

  async #read(text: string, params: (string | null)[]): Promise<EventRow[]> {
    try {
      return await this.#db.withSession((s) => s.query<EventRow>(text, params));
    } catch (err) {
      throw mapError(err);
    }
  }
}

/**
 * The row as a recorded event whose `data` is parsed when first read. Most consumers of `$all` (projectors
 * of other event types, the audit index) look at the type and metadata only; a metering batch's 10,000
 * records are ~1 MB of JSON that every one of them would otherwise parse.
 */
function toRecorded(r: EventRow): RecordedEvent {
  let text: string | undefined = r.data;
  let data: JsonValue = null;
  return {
    id: r.id,
    stream: r.stream,
    revision: r.revision,
    position: r.position,
    type: r.type,
    get data(): JsonValue {
      if (text !== undefined) {
        data = JSON.parse(text) as JsonValue;
        text = undefined;
      }
      return data;
    },
    metadata: r.metadata,
  };
}

/**
 * The row (metadata as jsonb text too) as a recorded event whose metadata and data are each parsed when first
 * read, carrying both texts for a reader that hands them on unread (record-json.ts).
 */
function toRecordedFromText(r: EventRow): RecordedEvent {
  let dataText: string | undefined = r.data;
  let data: JsonValue = null;
  let metadataText: string | undefined = r.metadata as string;
  let metadata: JsonValue = null;
  const record: RecordedEvent = {
    id: r.id,
    stream: r.stream,
    revision: r.revision,
    position: r.position,
    type: r.type,
    get data(): JsonValue {
      if (dataText !== undefined) {
        data = JSON.parse(dataText) as JsonValue;
        dataText = undefined;
      }
      return data;
    },
    get metadata(): JsonValue {
      if (metadataText !== undefined) {
        metadata = JSON.parse(metadataText) as JsonValue;
        metadataText = undefined;
      }
      return metadata;
    },
  };
  attachJsonText(record, () => (metadataText !== undefined && dataText !== undefined ? `[${metadataText},${dataText}]` : undefined));
  return record;
}

function limitParam(maxCount: number | undefined): string | null {
  if (maxCount === undefined) return null;
  if (!Number.isSafeInteger(maxCount) || maxCount < 0) throw new RangeError('maxCount must be a non-negative integer');
  return String(maxCount);
}

const escapeLike = (s: string): string => s.replace(/[\\%_]/g, '\\$&');
