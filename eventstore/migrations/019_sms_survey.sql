-- Issue 13 §6: return visits by SMS survey. The petition row carries when its survey's window closes
-- and how its last return visit reached the resident; a unit's evaluation fact carries it too.
ALTER TABLE petitions ADD COLUMN survey_due timestamptz, ADD COLUMN visit_channel text;
-- every visit recorded before the channel existed was a call (ReturnVisitRecorded decodes as `phone`)
UPDATE petitions SET visit_channel = 'phone' WHERE visit_outcome IS NOT NULL AND visit_outcome <> 'not_visited';
ALTER TABLE evaluation_facts ADD COLUMN visit_channel text;

-- One SMS survey sent to a resident (a notification of kind `survey`), recorded by the notifier with the
-- notification, and what became of it. `round`: the petition's reopens when it was resolved, so the survey
-- of the current resolution is the one of `petitions.reopens`.
CREATE TABLE surveys (
    delivery_id   uuid PRIMARY KEY REFERENCES notifications (delivery_id),
    petition_id   text NOT NULL,
    round         integer NOT NULL,
    phone         text NOT NULL,                 -- digits only, without +86 (what a reply is matched on)
    due           timestamptz NOT NULL,
    reply_state   text CHECK (reply_state IN ('answered', 'unclear')),   -- NULL: no reply yet
    reply_text    text NOT NULL DEFAULT '',      -- the resident's own words, kept as sent
    replied_at    timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX surveys_by_petition ON surveys (petition_id, round);
CREATE INDEX surveys_by_phone ON surveys (phone, created_at DESC);

-- Every message the SMS gateway posted to POST /v1/sms/inbound, once per gateway message id, with what
-- jiehu made of it (recorded as a visit, unclear, an opt-out, matched to no survey, too late).
CREATE TABLE sms_replies (
    message_id    text PRIMARY KEY,
    phone         text NOT NULL,
    text          text NOT NULL,
    delivery_id   uuid,                          -- the survey it answers, if one was found
    petition_id   text,
    outcome       text NOT NULL,
    visit_outcome text,
    detail        text NOT NULL DEFAULT '',
    received_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sms_replies_by_petition ON sms_replies (petition_id, received_at);
