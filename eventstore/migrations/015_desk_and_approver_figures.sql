-- Issue 11 §3, §4: the dispatch desk's and the approver's own figures on a petition they may never
-- have held. A fact recorded before has none of them, as a rebuild would have it (its UnitEvaluated
-- carried none); `level` is '' for a unit that is no rung of the ladder (a district's dispatch desk).
ALTER TABLE evaluation_facts
    ADD COLUMN returns_held integer NOT NULL DEFAULT 0,
    ADD COLUMN seconds_holding_returns double precision,
    ADD COLUMN redispatch_breaches integer NOT NULL DEFAULT 0,
    ADD COLUMN decision_breaches integer NOT NULL DEFAULT 0;
