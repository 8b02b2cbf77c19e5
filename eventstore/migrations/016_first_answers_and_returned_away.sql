-- Issue 11 §5: a key's first answer, by reference (the stream version it showed and its HTTP status),
-- recorded once the first request succeeded; a retry is answered from it. NULL: not answered yet.
ALTER TABLE idempotency_keys
    ADD COLUMN answer_version integer,
    ADD COLUMN answer_status smallint;
