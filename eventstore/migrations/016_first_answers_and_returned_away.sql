-- Issue 11 §5: a key's first answer, by reference (the stream version it showed and its HTTP status),
-- recorded once the first request succeeded; a retry is answered from it. NULL: not answered yet.
ALTER TABLE idempotency_keys
    ADD COLUMN answer_version integer,
    ADD COLUMN answer_status smallint;

-- Issue 11 §7: a unit that returned the order every time it received it (each return accepted, the
-- order went elsewhere) is not rated on that petition (`domain.evaluation.returned_every_time`).
-- Computed from the fact's original record, so a waived return does not put the petition back into
-- its rates; facts recorded before are marked by the migration's backfill (`backfill_returned_away`).
ALTER TABLE evaluation_facts
    ADD COLUMN returned_away boolean NOT NULL DEFAULT false;
