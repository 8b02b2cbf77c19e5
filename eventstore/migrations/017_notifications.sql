-- Issue 13 §1–§3: notifications follow the event log (outbox-style). The notifier records each
-- notification an event causes here, in the same transaction as its checkpoint (projection_checkpoints,
-- name 'notifier'), hands it to Temporal (handed_off_at), and the delivery records its outcome.
CREATE TABLE notifications (
    delivery_id    uuid PRIMARY KEY,            -- uuid5(event id, recipient, channel): the idempotency key
    petition_id    text NOT NULL,
    event_id       uuid NOT NULL,
    event_type     text NOT NULL,
    event_position bigint NOT NULL,
    kind           text NOT NULL,               -- assigned, warned, breached, ... (domain/notifications.py)
    audience       text NOT NULL,               -- holder, overseer, supervisors, resident
    unit_code      text NOT NULL DEFAULT '',
    role           text NOT NULL DEFAULT '',
    channel        text NOT NULL,               -- log, webhook, sms
    address        text NOT NULL DEFAULT '',    -- the resident's phone (personal data: masked when shown)
    body           text NOT NULL,
    status         text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts       integer NOT NULL DEFAULT 0,
    last_error     text NOT NULL DEFAULT '',
    created_at     timestamptz NOT NULL DEFAULT now(),
    handed_off_at  timestamptz,
    last_attempt_at timestamptz,
    sent_at        timestamptz,
    failed_at      timestamptz
);
CREATE INDEX notifications_by_petition ON notifications (petition_id, created_at);
CREATE INDEX notifications_not_handed_off ON notifications (created_at) WHERE handed_off_at IS NULL;
CREATE INDEX notifications_pending ON notifications (channel, created_at) WHERE status = 'pending';

-- A resident who asked for no messages about a petition (回复TD退订, or said so on the phone).
CREATE TABLE resident_opt_outs (
    petition_id  text PRIMARY KEY,
    opted_out    boolean NOT NULL,
    reason       text NOT NULL DEFAULT '',
    recorded_by  text NOT NULL,                 -- the cadre who recorded it: subject and name
    recorded_at  timestamptz NOT NULL DEFAULT now()
);
