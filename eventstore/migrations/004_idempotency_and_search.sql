-- Idempotent intake: a retried POST with the same key and body returns the same petition.
CREATE TABLE idempotency_keys (
    subject       text        NOT NULL,
    key           text        NOT NULL,
    request_hash  text        NOT NULL,
    petition_id   text        NOT NULL,
    created_at    timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (subject, key)
);

-- Listing and searching petitions without OFFSET scans.
CREATE EXTENSION IF NOT EXISTS pg_trgm;
CREATE INDEX petitions_text_search ON petitions USING gin ((description || ' ' || address) gin_trgm_ops);
CREATE INDEX petitions_nearest_deadline ON petitions (resolve_due, id) WHERE resolve_due IS NOT NULL;
CREATE INDEX petitions_status_reported ON petitions (status, reported_at DESC, id DESC);
