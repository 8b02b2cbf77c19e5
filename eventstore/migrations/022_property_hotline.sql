-- Issue 14 §3 (物业110): the compound (小区) a property call was about, and the property company's own
-- callback after it resolved (客服回访: its last outcome and when). Rows written before this have none:
-- the defaults are what a rebuild computes for them.
ALTER TABLE petitions
    ADD COLUMN compound            text NOT NULL DEFAULT '',
    ADD COLUMN company_callback    text,
    ADD COLUMN company_callback_at timestamptz;
CREATE INDEX petitions_by_compound ON petitions (compound, reported_at) WHERE compound <> '';
