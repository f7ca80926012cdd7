-- One row per nightly transmission run: when, and what it sent.
CREATE TABLE transmissions (
    id           uuid PRIMARY KEY,
    started_at   timestamptz NOT NULL DEFAULT now(),
    families     integer NOT NULL DEFAULT 0,
    lines        integer NOT NULL DEFAULT 0
);
