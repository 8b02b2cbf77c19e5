-- Issue 13 §4: how each district department receives its work orders (org data: `department_systems`),
-- and the signed callbacks of department systems already received (a repeated callback id is refused).
ALTER TABLE units ADD COLUMN department_system jsonb;

CREATE TABLE department_callbacks (
    department   text NOT NULL,
    callback_id  text NOT NULL,
    petition_id  text NOT NULL,
    action       text NOT NULL,
    received_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (department, callback_id)
);

-- the gauges count, per department, the open work orders waiting for their hand-over, every few seconds
CREATE INDEX petitions_delivery_pending ON petitions (unit_code, delivery_pending_since)
    WHERE delivery_pending_since IS NOT NULL;
