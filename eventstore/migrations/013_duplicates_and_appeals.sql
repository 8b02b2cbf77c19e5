-- Issue 11 §7. A petition closed as a duplicate names the one it duplicates; the original lists its
-- duplicates through the index. Petitions closed before carry '' (their events had no such field), so
-- existing rows need no backfill to equal a rebuild.
ALTER TABLE petitions ADD COLUMN duplicate_of text NOT NULL DEFAULT '';
CREATE INDEX petitions_duplicate_of ON petitions (duplicate_of) WHERE duplicate_of <> '';

-- Appeals (申诉): a unit files one against its own record on a petition, a supervisor upholds or
-- rejects it. Projected by the `evaluation` projection from AppealFiled and AppealDecided.
CREATE TABLE evaluation_appeals (
    appeal_id        text        PRIMARY KEY,
    period           text        NOT NULL,  -- the month the petition closed in
    petition_id      text        NOT NULL,
    unit_code        text        NOT NULL,
    waive            text[]      NOT NULL,
    reason           text        NOT NULL,
    filed_at         timestamptz NOT NULL,
    filed_by         text        NOT NULL,  -- the name of the cadre who filed it
    status           text        NOT NULL,  -- filed, upheld, rejected
    decided_at       timestamptz,
    decided_by       text,
    decision_reason  text,
    source_position  bigint      NOT NULL   -- the AppealFiled event in the log
);
CREATE INDEX evaluation_appeals_period_unit ON evaluation_appeals (period, unit_code);
CREATE INDEX evaluation_appeals_petition_unit ON evaluation_appeals (petition_id, unit_code);
