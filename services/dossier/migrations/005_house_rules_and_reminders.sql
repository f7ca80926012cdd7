-- The règlement intérieur staff publish per structure and school year (issue 16): each upload is a new
-- version (1, 2, …), its PDF sealed in the documents' storage like any document.
CREATE TABLE house_rules (
    id            uuid PRIMARY KEY,
    structure_id  uuid NOT NULL,
    school_year   text NOT NULL,
    version       integer NOT NULL CHECK (version >= 1),
    storage_key   text NOT NULL UNIQUE,
    size_bytes    integer NOT NULL,
    file_name     text NOT NULL,
    uploaded_by   text NOT NULL,
    uploaded_at   timestamptz NOT NULL DEFAULT now(),
    UNIQUE (structure_id, school_year, version)
);

-- The version of the règlement a transmitted règlement sheet signed (NULL: none was published then).
ALTER TABLE sheets ADD COLUMN house_rules_version integer;

-- The reminders sent to families that had not started their dossier: at most one per family, campaign
-- and day (Paris), whoever asks for it (services/dossier/domain/progress.py).
CREATE TABLE reminders (
    campaign_id   uuid NOT NULL REFERENCES campaigns (id),
    family_id     uuid NOT NULL,
    reminded_on   date NOT NULL,
    structure_id  uuid NOT NULL,
    reminded_by   text NOT NULL,
    reminded_at   timestamptz NOT NULL,
    PRIMARY KEY (campaign_id, family_id, reminded_on)
);
