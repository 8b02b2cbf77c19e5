-- The supervisor's dashboard (issue 15 §7) counts the yellow and red cards given today and this month (Beijing
-- time): a partial index over the two card events by when they happened keeps that a small range scan however
-- long the log grows (the query's `type IN (...)` is this predicate, word for word).
CREATE INDEX events_deadline_cards ON events (occurred_at)
    WHERE type IN ('DeadlineWarned', 'DeadlineBreached');
