-- Issue 11 §7. A petition closed as a duplicate names the one it duplicates; the original lists its
-- duplicates through the index. Petitions closed before carry '' (their events had no such field), so
-- existing rows need no backfill to equal a rebuild.
ALTER TABLE petitions ADD COLUMN duplicate_of text NOT NULL DEFAULT '';
CREATE INDEX petitions_duplicate_of ON petitions (duplicate_of) WHERE duplicate_of <> '';
