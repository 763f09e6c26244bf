// Tables and the group-commit function of the PostgreSQL event log, as versioned migrations, and the names
// of its advisory locks and NOTIFY channel.
// The decision logic lives in SQL so that a whole group commit is one statement, i.e. one round trip.
import { createHash } from 'node:crypto';
import { sql, type Kysely } from 'kysely';
import { lockKey, quoteIdent, type Migration } from '../../read-store/postgres/database.js';

/**
 * Key of the sequencer lock (a session-level advisory lock) of a schema. A writer outside this adapter
 * must hold it while its transaction takes its xid and its positions (e.g. around its INSERT, as the
 * first write of the transaction) and may release it before COMMIT. See PostgresEventLog.
 */
export const sequencerLockKey = (schema: string): bigint => lockKey(`companyos.event-log.sequencer\0${schema}`);

/** Key of a stream's advisory lock, taken by append_batch (in ascending key order). */
export const streamLockKey = (schema: string, stream: string): bigint =>
  lockKey(`companyos.event-log.stream\0${schema}\0${stream}`);

/** NOTIFY channel of a schema's log (hashed: a short, safe identifier whatever the schema). */
export const notifyChannel = (schema: string): string =>
  `companyos_log_${createHash('sha256').update(schema).digest('hex').slice(0, 16)}`;

async function exec(db: Kysely<any>, text: string): Promise<void> {
  await sql.raw(text).execute(db);
}

/** Ids are namespaced: one schema may also hold read models with their own migrations. */
export const eventLogMigrations: readonly Migration[] = [
  {
    id: 'event-log/0001-events-and-streams',
    async up(db, { schema }) {
      const s = quoteIdent(schema);
      // COLLATE "C": prefix filters (LIKE 'p%') can use the btree indexes, and order is bytewise.
      // Positions come from the identity's sequence, but only through append_batch's sequencer step.
      await exec(
        db,
        `CREATE TABLE ${s}.events (
          position bigint GENERATED ALWAYS AS IDENTITY (SEQUENCE NAME ${s}.events_position_seq) PRIMARY KEY,
          tx_id xid8 NOT NULL DEFAULT pg_current_xact_id(),
          id uuid NOT NULL UNIQUE,
          stream text COLLATE "C" NOT NULL,
          revision bigint NOT NULL,
          type text COLLATE "C" NOT NULL,
          data jsonb NOT NULL,
          metadata jsonb NOT NULL,
          recorded_at timestamptz NOT NULL DEFAULT now(),
          UNIQUE (stream, revision)
        )`,
      );
      await exec(db, `CREATE INDEX events_type_position ON ${s}.events (type, position)`);
      await exec(
        db,
        `CREATE TABLE ${s}.streams (
          stream text COLLATE "C" PRIMARY KEY,
          revision bigint NOT NULL
        )`,
      );
    },
  },
  {
    id: 'event-log/0002-append-batch',
    async up(db, { schema }) {
      await exec(db, appendBatchFunction(quoteIdent(schema)));
    },
  },
  {
    // The NOTIFY carries the commit's last position, so a process that has already read up to it skips a read.
    id: 'event-log/0003-append-batch-announces-position',
    async up(db, { schema }) {
      await exec(db, appendBatchFunction(quoteIdent(schema)));
    },
  },
];

/**
 * append_batch(batch, stream_keys, sequencer, channel) decides and writes one group of appends and
 * returns one row per append, in order: kind 'write' (revision, position of its last event), 'repeat'
 * (the earlier append's revision, position), 'wrong' (revision = the actual one, -1 for no stream)
 * or 'duplicate' (detail = the offending id).
 *
 * batch: [{"s": stream, "e": "any" | "no-stream" | revision, "ev": [{"id", "t", "d", "m"}, …]}, …]
 * with at most one append per stream. stream_keys: the streams' advisory lock keys, sorted (every
 * writer locks in ascending order, so writers never deadlock).
 *
 * An idempotent repeat is recognised exactly: its ids are the stream's rows of one transaction, in
 * order, with no other row of that stream in that transaction (one append per stream per group).
 *
 * The sequencer: the transaction takes its xid and its block of positions under a session advisory
 * lock released right after, so position order is transaction-id order for every writer. That is
 * what makes the readers' rule (only rows with tx_id below the snapshot's xmin) skip-free.
 */
function appendBatchFunction(s: string): string {
  return `
CREATE OR REPLACE FUNCTION ${s}.append_batch(batch jsonb, stream_keys bigint[], sequencer bigint, channel text)
RETURNS TABLE (o_kind text, o_revision bigint, o_position bigint, o_detail text)
LANGUAGE plpgsql
-- Cached plans must not scan events whole (planned while the table was small, kept as it grows):
-- every lookup here has an index, so rule sequential scans out instead of re-planning each call.
SET enable_seqscan = off
AS $fn$
DECLARE
  k bigint;
  heads jsonb;
  stored jsonb;
  a jsonb;
  ai int;
  ids text[];
  n int;
  claimed jsonb := '{}';
  dups jsonb;
  dup text;
  cur bigint;
  want jsonb;
  fr jsonb;
  lr jsonb;
  r jsonb;
  same boolean;
  kinds text[] := '{}';
  revs bigint[] := '{}';
  poss bigint[] := '{}';
  details text[] := '{}';
  firsts bigint[] := '{}';
  offs int[] := '{}';
  total int := 0;
  last_pos bigint;
BEGIN
  FOREACH k IN ARRAY stream_keys LOOP
    PERFORM pg_advisory_xact_lock(k);
  END LOOP;
  -- Read after the locks: each statement's fresh snapshot sees every commit to these streams.
  SELECT coalesce(jsonb_object_agg(t.stream, t.revision), '{}') INTO heads
    FROM ${s}.streams t WHERE t.stream = ANY (ARRAY(SELECT x->>'s' FROM jsonb_array_elements(batch) x));
  SELECT coalesce(jsonb_object_agg(e.id::text, jsonb_build_array(e.stream, e.revision, e.position, e.tx_id::text,
           NOT EXISTS (SELECT 1 FROM ${s}.events p
                        WHERE p.stream = e.stream AND p.revision = e.revision - 1 AND p.tx_id = e.tx_id),
           NOT EXISTS (SELECT 1 FROM ${s}.events q
                        WHERE q.stream = e.stream AND q.revision = e.revision + 1 AND q.tx_id = e.tx_id))), '{}')
    INTO stored
    FROM ${s}.events e
   WHERE e.id = ANY (ARRAY(SELECT (y->>'id')::uuid FROM jsonb_array_elements(batch) x, jsonb_array_elements(x->'ev') y));

  -- Ids that occur twice in the group: almost never, so the per-append id checks below usually skip.
  SELECT coalesce(jsonb_object_agg(d.id, true), '{}') INTO dups
    FROM (SELECT y->>'id' AS id FROM jsonb_array_elements(batch) x, jsonb_array_elements(x->'ev') y
           GROUP BY 1 HAVING count(*) > 1) d;

  IF dups = '{}' AND stored = '{}' THEN
    -- The usual case, decided in one statement: only expected revisions can fail.
    SELECT array_agg(CASE WHEN d.ok THEN 'write' ELSE 'wrong' END ORDER BY d.i),
           array_agg(CASE WHEN d.ok THEN d.cur + d.n ELSE d.cur END ORDER BY d.i),
           array_agg(NULL::bigint ORDER BY d.i),
           array_agg(NULL::text ORDER BY d.i),
           array_agg(CASE WHEN d.ok THEN d.cur + 1 END ORDER BY d.i),
           array_agg(CASE WHEN d.ok THEN d.before END ORDER BY d.i),
           coalesce(sum(CASE WHEN d.ok THEN d.n END), 0)
      INTO kinds, revs, poss, details, firsts, offs, total
      FROM (SELECT c.*, (coalesce(sum(CASE WHEN c.ok THEN c.n END) OVER (ORDER BY c.i ROWS UNBOUNDED PRECEDING), 0)
                         - CASE WHEN c.ok THEN c.n ELSE 0 END)::int AS before
              FROM (SELECT b.*, (b.want = '"any"' OR (b.want = '"no-stream"' AND b.cur = -1)
                                 OR (jsonb_typeof(b.want) = 'number' AND (b.want #>> '{}')::bigint = b.cur)) AS ok
                      FROM (SELECT t.o::int AS i, t.x->'e' AS want, jsonb_array_length(t.x->'ev') AS n,
                                   coalesce((heads ->> (t.x->>'s'))::bigint, -1) AS cur
                              FROM jsonb_array_elements(batch) WITH ORDINALITY AS t(x, o)) b) c) d;
  END IF;

  -- Otherwise one append at a time, in group order.
  FOR a, ai IN SELECT t.x, t.o::int FROM jsonb_array_elements(batch) WITH ORDINALITY AS t(x, o)
                WHERE dups <> '{}' OR stored <> '{}' ORDER BY t.o LOOP
    n := jsonb_array_length(a->'ev');
    firsts := firsts || NULL::bigint;
    offs := offs || NULL::int;
    IF dups <> '{}' OR stored <> '{}' THEN
      ids := ARRAY(SELECT y->>'id' FROM jsonb_array_elements(a->'ev') WITH ORDINALITY AS t(y, o) ORDER BY t.o);
      -- An id twice in this append, or taken by an earlier append of this group.
      SELECT t.u INTO dup
        FROM (SELECT u, o, row_number() OVER (PARTITION BY u ORDER BY o) AS nth
                FROM unnest(ids) WITH ORDINALITY AS w(u, o)) t
       WHERE t.nth > 1 OR claimed ? t.u ORDER BY t.o LIMIT 1;
      IF dup IS NOT NULL THEN
        kinds := kinds || 'duplicate'::text; revs := revs || NULL::bigint; poss := poss || NULL::bigint;
        details := details || dup;
        CONTINUE;
      END IF;
      SELECT t.u INTO dup FROM unnest(ids) WITH ORDINALITY AS t(u, o) WHERE stored ? t.u ORDER BY t.o LIMIT 1;
      IF dup IS NOT NULL THEN
        fr := stored -> ids[1];
        lr := stored -> ids[n];
        same := fr IS NOT NULL AND lr IS NOT NULL AND (fr->>4)::boolean AND (lr->>5)::boolean;
        IF same THEN
          FOR j IN 1..n LOOP
            r := stored -> ids[j];
            IF r IS NULL OR r->>0 <> a->>'s' OR r->>3 <> fr->>3 OR (r->>1)::bigint <> (fr->>1)::bigint + j - 1 THEN
              same := false;
              EXIT;
            END IF;
          END LOOP;
        END IF;
        IF same THEN
          kinds := kinds || 'repeat'::text; revs := revs || (lr->>1)::bigint; poss := poss || (lr->>2)::bigint;
          details := details || NULL::text;
        ELSE
          kinds := kinds || 'duplicate'::text; revs := revs || NULL::bigint; poss := poss || NULL::bigint;
          details := details || dup;
        END IF;
        CONTINUE;
      END IF;
    END IF;
    cur := coalesce((heads ->> (a->>'s'))::bigint, -1);
    want := a->'e';
    IF NOT (want = '"any"' OR (want = '"no-stream"' AND cur = -1)
            OR (jsonb_typeof(want) = 'number' AND (want #>> '{}')::bigint = cur)) THEN
      kinds := kinds || 'wrong'::text; revs := revs || cur; poss := poss || NULL::bigint;
      details := details || NULL::text;
      CONTINUE;
    END IF;
    IF dups <> '{}' THEN
      claimed := claimed || (SELECT jsonb_object_agg(u, true) FROM unnest(ids) AS u);
    END IF;
    firsts[ai] := cur + 1;
    offs[ai] := total;
    kinds := kinds || 'write'::text; revs := revs || (cur + n); poss := poss || NULL::bigint;
    details := details || NULL::text;
    total := total + n;
  END LOOP;

  IF total > 0 THEN
    PERFORM pg_advisory_lock(sequencer);
    PERFORM pg_current_xact_id();
    last_pos := setval('${s}.events_position_seq', nextval('${s}.events_position_seq') + total - 1);
    PERFORM pg_advisory_unlock(sequencer);

    -- Positions in group order: append ai's events follow the offs[ai] events written before it.
    INSERT INTO ${s}.events (position, stream, revision, id, type, data, metadata) OVERRIDING SYSTEM VALUE
    SELECT last_pos - total + offs[t.o::int] + y.o,
           t.x->>'s', firsts[t.o::int] + y.o - 1, (y.ev->>'id')::uuid, y.ev->>'t', y.ev->'d', y.ev->'m'
      FROM jsonb_array_elements(batch) WITH ORDINALITY AS t(x, o),
           jsonb_array_elements(t.x->'ev') WITH ORDINALITY AS y(ev, o)
     WHERE firsts[t.o::int] IS NOT NULL;

    INSERT INTO ${s}.streams AS h (stream, revision)
    SELECT t.x->>'s', firsts[t.o::int] + jsonb_array_length(t.x->'ev') - 1
      FROM jsonb_array_elements(batch) WITH ORDINALITY AS t(x, o)
     WHERE firsts[t.o::int] IS NOT NULL
    ON CONFLICT (stream) DO UPDATE SET revision = excluded.revision;

    -- Delivered when the transaction commits, never before; the payload is the commit's last position.
    PERFORM pg_notify(channel, last_pos::text);

  END IF;

  -- A written append's position is that of its last event.
  RETURN QUERY SELECT kinds[g.i], revs[g.i],
                      CASE WHEN kinds[g.i] = 'write' THEN last_pos - total + offs[g.i] + (revs[g.i] - firsts[g.i] + 1)
                           ELSE poss[g.i] END,
                      details[g.i]
                 FROM generate_subscripts(kinds, 1) AS g(i) ORDER BY g.i;
END
$fn$`;
}
