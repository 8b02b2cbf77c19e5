-- Issue 14 §4, 民意"5"来听 visit days. The visit teams are org data (`jiehu org load` replaces them with the
-- units); the rounds and their matters are a read model of the `visit-round-*` streams (every row can be
-- rebuilt from the log); a petition a team collected names the team.
CREATE TABLE visit_teams (
    code          text PRIMARY KEY,
    district_code text NOT NULL,
    name          text NOT NULL,
    team          text NOT NULL  -- the team as JSON (org.model.VisitTeam: cadres, units, enterprises)
);
CREATE INDEX visit_teams_by_district ON visit_teams (district_code, code);

CREATE TABLE visit_rounds (
    round_id      text PRIMARY KEY,
    team_code     text NOT NULL,
    district_code text NOT NULL,
    scheduled_for date NOT NULL,
    visit_date    date NOT NULL,
    units         text[] NOT NULL,
    opened_at     timestamptz NOT NULL,
    closed_at     timestamptz,
    collected     integer NOT NULL DEFAULT 0,
    on_the_spot   integer NOT NULL DEFAULT 0,
    handed_on     integer NOT NULL DEFAULT 0,
    by_schedule   boolean NOT NULL DEFAULT false,
    version       integer NOT NULL
);
CREATE INDEX visit_rounds_by_team ON visit_rounds (team_code, visit_date);
CREATE INDEX visit_rounds_by_date ON visit_rounds (visit_date, district_code);

CREATE TABLE visit_matters (
    petition_id text PRIMARY KEY,
    round_id    text NOT NULL,
    team_code   text NOT NULL,
    unit_code   text NOT NULL,
    grid_code   text NOT NULL,
    category    text NOT NULL,
    on_the_spot boolean NOT NULL,
    recorded_at timestamptz NOT NULL
);
CREATE INDEX visit_matters_by_team ON visit_matters (team_code, recorded_at);
CREATE INDEX visit_matters_by_round ON visit_matters (round_id);

ALTER TABLE petitions ADD COLUMN visit_team text;
CREATE INDEX petitions_by_visit_team ON petitions (visit_team, reported_at) WHERE visit_team IS NOT NULL;
