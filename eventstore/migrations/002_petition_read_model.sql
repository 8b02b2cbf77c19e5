-- The petition read model, updated in the same statement as each append (rebuildable from events).
CREATE TABLE petitions (
    id              text PRIMARY KEY,
    version         integer     NOT NULL,
    status          text        NOT NULL,
    category        text        NOT NULL,
    channel         text        NOT NULL,
    urgency         text        NOT NULL,
    description     text        NOT NULL,
    address         text        NOT NULL,
    grid_code       text        NOT NULL,
    reporter_name   text        NOT NULL,
    reporter_phone  text        NOT NULL,
    level           text,
    unit_code       text,
    unit_name       text,
    overseer_code   text,
    handled_units   text[]      NOT NULL DEFAULT '{}',
    deadline_state  text        NOT NULL,
    accept_due      timestamptz,
    warn_at         timestamptz,
    resolve_due     timestamptz,
    visit_due       timestamptz,
    escalations     integer     NOT NULL DEFAULT 0,
    returns         integer     NOT NULL DEFAULT 0,
    reopens         integer     NOT NULL DEFAULT 0,
    urges           integer     NOT NULL DEFAULT 0,
    resolution      text,
    close_outcome   text,
    visit_outcome   text,
    reported_at     timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    closed_at       timestamptz,
    last_position   bigint      NOT NULL
);
CREATE INDEX petitions_unit_status ON petitions (unit_code, status);
CREATE INDEX petitions_reported_at ON petitions (reported_at DESC, id DESC);
CREATE INDEX petitions_handled_units ON petitions USING gin (handled_units);

-- Checkpoints of projections that follow the global order asynchronously.
CREATE TABLE projection_checkpoints (
    name       text PRIMARY KEY,
    position   bigint      NOT NULL,
    updated_at timestamptz NOT NULL DEFAULT now()
);
