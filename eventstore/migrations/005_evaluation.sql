-- Evaluation read models, all projected from the log (UnitEvaluated, EvaluationCorrected,
-- ScorecardsPublished, Property*) by the checkpointed `evaluation` projection.

-- One unit's record on one closed petition, with upheld appeals applied.
CREATE TABLE evaluation_facts (
    petition_id              text        NOT NULL,
    unit_code                text        NOT NULL,
    unit_name                text        NOT NULL,
    level                    text        NOT NULL,
    category                 text        NOT NULL,
    channel                  text        NOT NULL,
    close_outcome            text        NOT NULL,
    closed_at                timestamptz NOT NULL,
    month                    date        NOT NULL,  -- the China-time month the petition closed in
    received                 integer     NOT NULL,
    accepted                 integer     NOT NULL,
    accepted_in_time         integer     NOT NULL,
    accept_breaches          integer     NOT NULL,
    resolve_breaches         integer     NOT NULL,
    returns                  integer     NOT NULL,
    escalations_requested    integer     NOT NULL,
    escalations_by_deadline  integer     NOT NULL,
    extensions_requested     integer     NOT NULL,
    extensions_granted       integer     NOT NULL,
    urges                    integer     NOT NULL,
    resolved                 integer     NOT NULL,
    resolved_in_time         integer     NOT NULL,
    reopens                  integer     NOT NULL,
    first_assigned_at        timestamptz,
    seconds_to_accept        double precision,
    seconds_to_resolve       double precision,
    visit_outcome            text,
    original                 jsonb       NOT NULL,  -- the record as evaluated, before any appeal
    waived                   text[]      NOT NULL DEFAULT '{}',
    source_position          bigint      NOT NULL,  -- the UnitEvaluated event in the log
    PRIMARY KEY (petition_id, unit_code)
);
CREATE INDEX evaluation_facts_month_level ON evaluation_facts (month, level);
CREATE INDEX evaluation_facts_unit_month ON evaluation_facts (unit_code, month);

-- Frozen monthly editions and their cards.
CREATE TABLE scorecard_editions (
    period        text        NOT NULL,
    edition       integer     NOT NULL,
    published_at  timestamptz NOT NULL,
    appeal_due    timestamptz NOT NULL,
    reason        text        NOT NULL,
    published_by  text        NOT NULL,
    source_position bigint    NOT NULL,
    PRIMARY KEY (period, edition)
);
CREATE TABLE published_scorecards (
    period     text    NOT NULL,
    edition    integer NOT NULL,
    unit_code  text    NOT NULL,
    level      text    NOT NULL,
    card       jsonb   NOT NULL,
    PRIMARY KEY (period, edition, unit_code),
    FOREIGN KEY (period, edition) REFERENCES scorecard_editions ON DELETE CASCADE
);

-- Property scoring rounds (物业评议): one per quarter.
CREATE TABLE property_rounds (
    quarter    text        PRIMARY KEY,
    opened_at  timestamptz NOT NULL,
    closed_at  timestamptz
);
CREATE TABLE property_scores (
    quarter         text        NOT NULL REFERENCES property_rounds ON DELETE CASCADE,
    company_code    text        NOT NULL,
    compound        text        NOT NULL,
    representative  text        NOT NULL,
    score           double precision NOT NULL,
    recorded_at     timestamptz NOT NULL,
    PRIMARY KEY (quarter, company_code, compound, representative)
);
