-- Issue 14 §5: duplicates and bursts. A burst declared on a petition (JSON, the rule's input: until, grids,
-- point, radius, keywords) and its end, so that intake finds the bursts still running of a category; and an
-- index for the duplicate candidates of a new report (open petitions of its category, newest first). Rows
-- written before carry no burst (NULL), as a rebuild computes them.
ALTER TABLE petitions
    ADD COLUMN burst       text,         -- JSON (the rebuild's COPY is binary)
    ADD COLUMN burst_ends_at timestamptz;
CREATE INDEX petitions_running_bursts ON petitions (category, burst_ends_at) WHERE burst_ends_at IS NOT NULL;
CREATE INDEX petitions_open_by_category ON petitions (category, reported_at) WHERE status <> 'closed';
