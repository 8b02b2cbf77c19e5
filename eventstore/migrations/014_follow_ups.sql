-- 结案后再诉 (issue 11, section 6): a petition reported as following a closed one names it, and the
-- unit charged with the follow-up gets it counted on its fact of the followed petition (a reopen in
-- the scorecard). Rows and facts recorded before follow nothing, as a rebuild would have them.
ALTER TABLE petitions ADD COLUMN follows text;
ALTER TABLE evaluation_facts ADD COLUMN follow_ups integer NOT NULL DEFAULT 0;
