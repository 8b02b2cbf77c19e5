-- Projections read the log in (tx_id, position) order, not by position alone: a transaction still
-- running may hold a lower position than one already committed, but every transaction that can
-- still commit has a tx_id at or above the snapshot's xmin, above everything already read.
ALTER TABLE projection_checkpoints ADD COLUMN tx_id xid8 NOT NULL DEFAULT '0';
CREATE INDEX events_in_commit_order ON events (tx_id, position);
