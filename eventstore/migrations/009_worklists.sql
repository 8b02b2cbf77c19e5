-- Worklists that lose nothing (issue 10): returned orders carry a re-dispatch deadline, return
-- visitors list what waits for a visit, reporters find what they reported, and a department's order
-- that no worker has taken off its task queue shows as pending. Existing rows are backfilled from the
-- log where the log knows; `jiehu projections verify` proves the result equals a rebuild.
ALTER TABLE petitions
    ADD COLUMN reported_by            text        NOT NULL DEFAULT '',
    ADD COLUMN desk_code              text        NOT NULL DEFAULT '',
    ADD COLUMN redispatch_due         timestamptz,
    ADD COLUMN next_due               timestamptz,
    ADD COLUMN visit_attempts         integer     NOT NULL DEFAULT 0,
    ADD COLUMN delivery_pending_since timestamptz,
    ADD COLUMN pending_decision       text;  -- an extension or pause request waiting for the rung above

UPDATE petitions p SET
    reported_by = coalesce((SELECT e.data -> 'actor' ->> 'id' FROM events e
                            WHERE e.stream_id = p.id AND e.type = 'PetitionReported'), ''),
    visit_attempts = coalesce((SELECT (e.data ->> 'attempt')::int FROM events e
                               WHERE e.stream_id = p.id AND e.type = 'ReturnVisitRecorded'
                                 AND e.version > coalesce((SELECT max(r.version) FROM events r
                                                           WHERE r.stream_id = p.id AND r.type = 'PetitionResolved'), 0)
                               ORDER BY e.version DESC LIMIT 1), 0),
    next_due = CASE status WHEN 'resolved' THEN visit_due
                           WHEN 'dispatched' THEN least(accept_due, resolve_due)
                           WHEN 'accepted' THEN resolve_due END,
    pending_decision = CASE
        WHEN (SELECT e.type FROM events e WHERE e.stream_id = p.id AND e.type IN (
                  'ExtensionRequested', 'ExtensionDecided', 'WorkOrderAssigned', 'WorkOrderReturned',
                  'PetitionResolved', 'PetitionClosed') ORDER BY e.version DESC LIMIT 1) = 'ExtensionRequested'
            THEN 'extension'
        WHEN (SELECT e.type FROM events e WHERE e.stream_id = p.id AND e.type IN (
                  'PauseRequested', 'PauseDenied', 'ClockPaused', 'WorkOrderAssigned', 'WorkOrderReturned',
                  'PetitionResolved', 'PetitionClosed') ORDER BY e.version DESC LIMIT 1) = 'PauseRequested'
            THEN 'pause' END;

CREATE INDEX petitions_reported_by ON petitions (reported_by, reported_at DESC, id DESC);
-- nearest deadline first, petitions with no running clock last (never dropped)
CREATE INDEX petitions_next_due ON petitions ((coalesce(next_due, 'infinity'::timestamptz)), id);
-- the dispatch desks' and the return visitors' worklists
CREATE INDEX petitions_returned ON petitions ((coalesce(next_due, 'infinity'::timestamptz)), id)
    WHERE status = 'returned';
-- what waits for the rung above (延期/暂停 审批)
CREATE INDEX petitions_pending_decision ON petitions (overseer_code) WHERE pending_decision IS NOT NULL;
CREATE INDEX petitions_awaiting_visit ON petitions ((coalesce(next_due, 'infinity'::timestamptz)), id)
    WHERE status = 'resolved';
