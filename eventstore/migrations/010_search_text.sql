-- What roles that may not see personal data search: the description and address with ID, phone and
-- plate numbers redacted (domain/redaction.py). Searching the raw text instead would let them find
-- a number digit by digit. Filled by petition_row on every append; rows written before this
-- migration are filled by `jiehu migrate` right after it (Python: the redaction lives there).
ALTER TABLE petitions ADD COLUMN search_text text;
CREATE INDEX petitions_search_text ON petitions USING gin (search_text gin_trgm_ops);
