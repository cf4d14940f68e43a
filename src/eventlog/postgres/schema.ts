/**
 * The PostgreSQL event log's schema, created on first use by any node (idempotent, under an
 * advisory lock so several daemons starting together do not race): one `mailtrail_events`
 * table with a unique (stream, revision) key, and `mailtrail_append(batch)`, the group-commit
 * function — every append of a batch in its own subtransaction (a conflict rolls back that
 * append alone), all in the caller's one transaction: one round trip, one commit.
 * Positions are `xid << 20 | n`: the writing transaction's id, then the event's index in it,
 * so the global order is (transaction, index) and a reader that stops below the oldest
 * transaction still running (pg_snapshot_xmin) never misses an event that commits late.
 */

/** Bits of a position that number the events of one transaction. */
export const INDEX_BITS = 20;
/** Most events one transaction (one group-commit batch) may write. */
export const MAX_EVENTS_PER_TRANSACTION = 2 ** INDEX_BITS;

/** An arbitrary constant: the advisory lock that serialises schema set-up across nodes. */
const SCHEMA_LOCK = 7_311_042_913;

export const SCHEMA_SQL = `
BEGIN;
SELECT pg_advisory_xact_lock(${SCHEMA_LOCK});
CREATE TABLE IF NOT EXISTS mailtrail_events (
  position       bigint      PRIMARY KEY,
  transaction_id xid8        NOT NULL,
  stream         text        NOT NULL,
  revision       bigint      NOT NULL,
  type           text        NOT NULL,
  data           json        NOT NULL,
  metadata       json        NOT NULL,
  recorded_at    timestamptz NOT NULL DEFAULT now(),
  CONSTRAINT mailtrail_events_stream_revision UNIQUE (stream, revision)
);
CREATE OR REPLACE FUNCTION mailtrail_append(batch json)
RETURNS TABLE (idx int, outcome text, revision bigint, last_position bigint, actual bigint, detail text)
LANGUAGE plpgsql AS $fn$
DECLARE
  xid   xid8   := pg_current_xact_id();
  base  bigint;
  n     bigint := 0;
  i     int    := 0;
  item  json;
  ev    json;
  expected text;
  cur   bigint;
  rev   bigint;
  pos   bigint;
  tries int;
BEGIN
  IF xid::text::numeric >= 2::numeric ^ (63 - ${INDEX_BITS}) THEN
    RAISE EXCEPTION 'transaction id % is beyond what a mailtrail position can hold', xid;
  END IF;
  base := xid::text::bigint << ${INDEX_BITS};
  FOR item IN SELECT value FROM json_array_elements(batch) LOOP
    expected := item->>'expected';
    tries := 0;
    LOOP
      BEGIN
        SELECT max(e.revision) INTO cur FROM mailtrail_events e WHERE e.stream = item->>'stream';
        IF (expected = 'no_stream' AND cur IS NOT NULL)
           OR (expected NOT IN ('no_stream', 'any') AND cur IS DISTINCT FROM expected::bigint) THEN
          idx := i; outcome := 'conflict'; revision := NULL; last_position := NULL; actual := cur; detail := NULL;
          RETURN NEXT;
          EXIT;
        END IF;
        rev := coalesce(cur, -1);
        FOR ev IN SELECT value FROM json_array_elements(item->'events') LOOP
          IF n >= ${MAX_EVENTS_PER_TRANSACTION} THEN
            RAISE EXCEPTION 'more than ${MAX_EVENTS_PER_TRANSACTION} events in one transaction';
          END IF;
          rev := rev + 1;
          pos := base + n;
          n := n + 1;
          INSERT INTO mailtrail_events (position, transaction_id, stream, revision, type, data, metadata)
          VALUES (pos, xid, item->>'stream', rev, ev->>'type', (ev->>'data')::json, (ev->>'metadata')::json);
        END LOOP;
        idx := i; outcome := 'ok'; revision := rev; last_position := pos; actual := NULL; detail := NULL;
        RETURN NEXT;
        EXIT;
      EXCEPTION
        WHEN unique_violation THEN
          -- Another transaction wrote this stream's next revision and committed first.
          IF expected = 'any' AND tries < 10 THEN
            tries := tries + 1;
          ELSE
            idx := i; outcome := 'conflict'; revision := NULL; last_position := NULL; detail := NULL;
            SELECT max(e.revision) INTO actual FROM mailtrail_events e WHERE e.stream = item->>'stream';
            RETURN NEXT;
            EXIT;
          END IF;
        WHEN OTHERS THEN
          idx := i; outcome := 'error'; revision := NULL; last_position := NULL; actual := NULL; detail := SQLSTATE || ' ' || SQLERRM;
          RETURN NEXT;
          EXIT;
      END;
    END LOOP;
    i := i + 1;
  END LOOP;
  IF n > 0 THEN
    PERFORM pg_notify('mailtrail_events', '');
  END IF;
END
$fn$;
COMMIT;
`;

/** Positions below this are final: every transaction that could still write one has ended. */
export const FINAL_BOUND_SQL = `SELECT (pg_snapshot_xmin(pg_current_snapshot())::text::bigint << ${INDEX_BITS})::text AS bound`;
