-- Who read a resident's data: one row per petition whose reporter name and phone a response showed
-- unmasked. Writes are audited by the event log; this audits reads. Append-only.
CREATE TABLE access_log (
    id          bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
    at          timestamptz NOT NULL DEFAULT now(),
    actor_id    text        NOT NULL,   -- the token's subject
    actor_name  text        NOT NULL,
    role        text        NOT NULL,
    unit_code   text        NOT NULL,
    petition_id text        NOT NULL,
    what        text        NOT NULL,   -- petition, events, list, queue, search, export
    reason      text,                   -- the caller's X-Access-Reason, if given
    request_id  text
);
CREATE INDEX access_log_newest ON access_log (at DESC, id DESC);
CREATE INDEX access_log_by_petition ON access_log (petition_id, at DESC, id DESC);
CREATE INDEX access_log_by_actor ON access_log (actor_id, at DESC, id DESC);
CREATE INDEX access_log_by_unit ON access_log (unit_code, at DESC, id DESC);

CREATE FUNCTION access_log_is_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'the access log is append-only (% refused)', TG_OP;
END $$;
CREATE TRIGGER access_log_append_only BEFORE UPDATE OR DELETE ON access_log
    FOR EACH ROW EXECUTE FUNCTION access_log_is_append_only();
CREATE TRIGGER access_log_no_truncate BEFORE TRUNCATE ON access_log
    FOR EACH STATEMENT EXECUTE FUNCTION access_log_is_append_only();

-- Search (q) by the reporter, for the roles that may see personal data: the phone's digits end with
-- the 4+ digits asked for (their last four narrow it through the index), or the name is exact.
CREATE INDEX petitions_reporter_phone_tail
    ON petitions (right(regexp_replace(reporter_phone, '[^0-9]', '', 'g'), 4));
CREATE INDEX petitions_reporter_name ON petitions (reporter_name);
