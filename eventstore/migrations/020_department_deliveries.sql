-- Issue 13 gaps: what an operator or a department's liaison sees of a webhook department's deliveries,
-- and a bounded memory of the department callbacks received.

-- One row per work order POSTed to a department's system (`delivery_id`, the same on every retry),
-- written by the webhook adapter on every attempt (not by the petition's workflow: its histories replay
-- unchanged): how many attempts, since when, the last one's result and error, and when it was taken.
CREATE TABLE department_deliveries (
    delivery_id      text PRIMARY KEY,
    petition_id      text NOT NULL,
    department       text NOT NULL,
    attempts         integer NOT NULL DEFAULT 0,
    failures         integer NOT NULL DEFAULT 0,
    first_attempt_at timestamptz NOT NULL DEFAULT now(),
    last_attempt_at  timestamptz NOT NULL DEFAULT now(),
    last_result      text NOT NULL CHECK (last_result IN ('delivered', 'refused', 'unreachable', 'unconfigured')),
    last_error       text NOT NULL DEFAULT '',
    last_failed_at   timestamptz,
    delivered_at     timestamptz
);
CREATE INDEX department_deliveries_by_petition ON department_deliveries (petition_id, first_attempt_at);

-- Callback ids are forgotten once a replay of them is refused by its timestamp anyway (on each insert:
-- services/department_callbacks.py); the index makes that purge an index probe.
CREATE INDEX department_callbacks_received ON department_callbacks (received_at);
