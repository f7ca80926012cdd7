-- The families' e-mail addresses (from auth's internal event) and how to greet them.
CREATE TABLE family_contacts (
    family_id   uuid PRIMARY KEY,
    account_id  uuid NOT NULL,
    emails      text[] NOT NULL,
    greeting    text NOT NULL,
    updated_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE deliveries ADD COLUMN family_id uuid;
CREATE INDEX deliveries_failed ON deliveries (created_at DESC) WHERE status = 'failed';

CREATE TABLE digest_runs (
    id           uuid PRIMARY KEY,
    started_at   timestamptz NOT NULL DEFAULT now(),
    finished_at  timestamptz,
    families     integer NOT NULL DEFAULT 0,
    mails        integer NOT NULL DEFAULT 0,
    waiting      integer NOT NULL DEFAULT 0  -- families whose addresses are not known yet
);
