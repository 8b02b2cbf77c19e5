-- Deadlines counted in a year without an official holiday arrangement (issue 11): the events that set
-- deadlines say whether they are provisional, and the row shows it for the running ones. Events
-- recorded before carry no flag and fold to false, so existing rows need no backfill to equal a rebuild.
ALTER TABLE petitions ADD COLUMN deadlines_provisional boolean NOT NULL DEFAULT false;
