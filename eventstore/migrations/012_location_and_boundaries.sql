-- Open311 as real clients send it (issue 11 §8): where the problem is (lat/long, WGS84) and the photos
-- sent with the report (media_url, kept as evidence) are stored and served back; each grid may carry
-- its boundary (a GeoJSON Polygon) so that a report with a point and no grid code finds its grid.
-- Events recorded before carry none of these and fold to NULL / empty, so existing rows need no
-- backfill to equal a rebuild.
ALTER TABLE petitions ADD COLUMN latitude double precision;
ALTER TABLE petitions ADD COLUMN longitude double precision;
ALTER TABLE petitions ADD COLUMN media_urls text[] NOT NULL DEFAULT '{}';
ALTER TABLE units ADD COLUMN boundary jsonb;
