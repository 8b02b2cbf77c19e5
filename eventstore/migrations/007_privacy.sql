-- What a district publishes (PIPL: petitions are private unless published).
-- A category marked public appears in public Open311 reads; none is by default.
ALTER TABLE categories ADD COLUMN public boolean NOT NULL DEFAULT false;
-- 工单保密: a confidential petition never leaves through Open311 and shows its reporter only to
-- the roles that must call them; the public summary is what a public read shows instead of the
-- description. Existing rows get the defaults, as a rebuild from their events would.
ALTER TABLE petitions ADD COLUMN confidential boolean NOT NULL DEFAULT false;
ALTER TABLE petitions ADD COLUMN public_summary text NOT NULL DEFAULT '';
CREATE INDEX petitions_published ON petitions (category, reported_at DESC) WHERE NOT confidential;
