-- Issue 14 §5: a keyed report's first answer lists its duplicate candidates (open petitions that looked like
-- the same problem then); a retry answers with the same list, kept here as JSON (petition ids, statuses and
-- why they matched: no resident's data). Keys recorded before keep none (NULL: no candidates).
ALTER TABLE idempotency_keys ADD COLUMN answer_candidates text;
