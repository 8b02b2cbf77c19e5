-- A tamper-evident log (issue 16 §4; docs/audit.md): every event carries the SHA-256 of its own content
-- chained to the hash of the previous event of its stream, computed by the database as the row goes in,
-- so no writer can forget it. `jiehu audit verify` recomputes the chains and names any row that was edited,
-- deleted or moved; anchors (`log_anchors`) chain the hashes of the whole log in commit order, so the
-- loss of a stream's last events, or of a whole stream, shows too.

-- The content an event's hash covers, in one fixed text form: every column a reader relies on except the
-- ones the database assigns (position, recorded_at, tx_id). jsonb's text form is canonical (keys sorted,
-- one spacing), and the instant is written as whole microseconds since 1970, free of any time zone setting.
CREATE FUNCTION event_hash(prev bytea, stream_id text, version integer, event_id uuid, type text, data jsonb,
                           metadata jsonb, occurred_at timestamptz) RETURNS bytea
LANGUAGE sql IMMUTABLE PARALLEL SAFE AS $$
    SELECT sha256(coalesce(prev, '\x'::bytea) || convert_to(concat_ws(E'\x1f', stream_id, version::text,
        event_id::text, type, data::text, metadata::text,
        (extract(epoch FROM occurred_at) * 1000000)::bigint::text), 'UTF8'))
$$;

ALTER TABLE events ADD COLUMN hash bytea;

-- Events already in the log are chained now, stream by stream in version order: for them the chain proves
-- only that nothing changed after this migration ran.
ALTER TABLE events DISABLE TRIGGER events_append_only;
DO $$
DECLARE
    e record;
    prev bytea;
    prev_stream text := NULL;
BEGIN
    FOR e IN SELECT position, stream_id, version, event_id, type, data, metadata, occurred_at
             FROM events ORDER BY stream_id, version LOOP
        IF prev_stream IS DISTINCT FROM e.stream_id THEN
            prev := NULL;
            prev_stream := e.stream_id;
        END IF;
        prev := event_hash(prev, e.stream_id, e.version, e.event_id, e.type, e.data, e.metadata, e.occurred_at);
        UPDATE events SET hash = prev WHERE position = e.position;
    END LOOP;
END $$;
ALTER TABLE events ENABLE TRIGGER events_append_only;
ALTER TABLE events ALTER COLUMN hash SET NOT NULL;

-- Every new event: the hash of the previous version of its stream (rows inserted earlier by the same
-- statement are visible to a BEFORE ROW trigger), chained with its own content. Whatever a writer sends
-- as `hash` is replaced.
CREATE FUNCTION events_chain() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    prev bytea;
BEGIN
    IF NEW.version > 1 THEN
        SELECT hash INTO prev FROM events WHERE stream_id = NEW.stream_id AND version = NEW.version - 1;
        IF prev IS NULL THEN
            RAISE EXCEPTION 'event % of stream % has no version % before it', NEW.version, NEW.stream_id,
                NEW.version - 1;
        END IF;
    END IF;
    NEW.hash := event_hash(prev, NEW.stream_id, NEW.version, NEW.event_id, NEW.type, NEW.data, NEW.metadata,
                           NEW.occurred_at);
    RETURN NEW;
END $$;
CREATE TRIGGER events_hash_chain BEFORE INSERT ON events FOR EACH ROW EXECUTE FUNCTION events_chain();

-- Anchors over the global order: each one's digest is SHA-256 of the previous anchor's digest followed by
-- the hashes of every event committed after the previous anchor's cursor up to its own, in commit order
-- (tx_id, position). Copy the latest digest out of the database (a report, a notary, another system): an
-- anchor kept only here proves nothing against whoever can rewrite this table too.
CREATE TABLE log_anchors (
    anchor_id  integer     GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    tx_id      xid8        NOT NULL,     -- the cursor the anchor reaches: the last event it covers
    position   bigint      NOT NULL,
    events     bigint      NOT NULL,     -- how many events it covers (since the previous anchor)
    digest     bytea       NOT NULL,
    made_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TRIGGER log_anchors_append_only BEFORE UPDATE OR DELETE ON log_anchors
    FOR EACH ROW EXECUTE FUNCTION events_are_immutable();
