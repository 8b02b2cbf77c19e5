-- Reference data: the org tree and the category taxonomy (loaded from YAML by `jiehu org load`).
CREATE TABLE units (
    code             text PRIMARY KEY,
    name             text NOT NULL,
    kind             text NOT NULL,
    parent_code      text REFERENCES units (code) DEFERRABLE INITIALLY DEFERRED,
    district_code    text,
    function         text,          -- departments: the function categories are owned by
    property_company text           -- communities: the property company of their compounds
);
CREATE INDEX units_parent ON units (parent_code);

CREATE TABLE categories (
    code             text PRIMARY KEY,
    name             text NOT NULL,
    start_level      text NOT NULL,
    department_function text NOT NULL,
    property         boolean NOT NULL DEFAULT false,
    description      text NOT NULL DEFAULT ''
);

-- What department workers delivered to departments that have no system of their own.
CREATE TABLE department_inbox (
    delivery_id   text PRIMARY KEY,
    department    text        NOT NULL,
    petition_id   text        NOT NULL,
    payload       jsonb       NOT NULL,
    delivered_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX department_inbox_department ON department_inbox (department, delivered_at DESC);
