-- Issue 14 §1, §2: what the caller asked for (咨询/求助/投诉/举报/建议), an anonymous caller, the triage at
-- intake and its reason, callers linked to an open petition about the same matter, resolved on the spot;
-- and the on-the-spot count of each unit's evaluation facts. Rows and facts written before this have none
-- of them: the defaults are what a rebuild computes for them.
ALTER TABLE petitions
    ADD COLUMN request_type   text,
    ADD COLUMN anonymous      boolean NOT NULL DEFAULT false,
    ADD COLUMN triage         text,
    ADD COLUMN triage_reason  text    NOT NULL DEFAULT '',
    ADD COLUMN linked_callers text    NOT NULL DEFAULT '[]',  -- JSON (the rebuild's COPY is binary)
    ADD COLUMN on_the_spot    boolean NOT NULL DEFAULT false;
CREATE INDEX petitions_by_triage ON petitions (triage, reported_at) WHERE triage IS NOT NULL;

ALTER TABLE evaluation_facts ADD COLUMN resolved_on_the_spot integer NOT NULL DEFAULT 0;
