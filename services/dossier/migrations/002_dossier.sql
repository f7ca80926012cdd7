-- Projections from auth: structures, families (with their other responsables), children.
CREATE TABLE structures (
    id    uuid PRIMARY KEY,
    name  text NOT NULL
);
CREATE TABLE families (
    id           uuid PRIMARY KEY,
    identifiant  text NOT NULL,
    guardians    jsonb NOT NULL DEFAULT '[]'::jsonb
);
CREATE TABLE children (
    id            uuid PRIMARY KEY,
    family_id     uuid NOT NULL,
    first_name    text NOT NULL,
    last_name     text NOT NULL,
    birth_date    date NOT NULL,
    structure_id  uuid NOT NULL
);
CREATE INDEX children_family ON children (family_id);

-- The sheets of a family for a campaign (school year). Health sheets are sealed (encrypted) at rest.
CREATE TABLE sheets (
    id              uuid PRIMARY KEY,
    campaign_id     uuid NOT NULL REFERENCES campaigns (id),
    family_id       uuid NOT NULL,
    kind            text NOT NULL,
    child_id        uuid,
    structure_id    uuid,
    subject_key     text NOT NULL,  -- what the sheet is about: family, guardian:<id>, child:<id>[:<structure>]
    state           text NOT NULL DEFAULT 'a_remplir'
                    CHECK (state IN ('a_remplir', 'brouillon', 'transmise', 'validee', 'refusee')),
    data            jsonb,
    data_sealed     bytea,
    updated_at      timestamptz NOT NULL DEFAULT now(),
    submitted_at    timestamptz,
    reviewed_at     timestamptz,
    reviewed_by     text,
    refusal_reason  text,
    UNIQUE (campaign_id, family_id, subject_key, kind),
    CHECK (data IS NULL OR data_sealed IS NULL)
);
CREATE INDEX sheets_family ON sheets (family_id, campaign_id);
CREATE INDEX sheets_to_review ON sheets (campaign_id) WHERE state = 'transmise';

-- Supporting documents: the bytes live in the storage (sealed), the row only lists them.
CREATE TABLE documents (
    id            uuid PRIMARY KEY,
    family_id     uuid NOT NULL,
    sheet_id      uuid NOT NULL REFERENCES sheets (id) ON DELETE CASCADE,
    kind          text NOT NULL,
    mime          text NOT NULL,
    size_bytes    integer NOT NULL,
    storage_key   text NOT NULL UNIQUE,
    display_name  text NOT NULL,
    uploaded_at   timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX documents_sheet ON documents (sheet_id, kind);

-- People the family names for its children (shared between children; names never change).
CREATE TABLE contacts (
    id          uuid PRIMARY KEY,
    family_id   uuid NOT NULL,
    last_name   text NOT NULL,
    first_name  text NOT NULL,
    address     text NOT NULL DEFAULT '',
    phone       text NOT NULL DEFAULT '',
    email       text NOT NULL DEFAULT '',
    created_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX contacts_family ON contacts (family_id);

CREATE TABLE insurers (
    id       uuid PRIMARY KEY,
    name     text NOT NULL UNIQUE,
    address  text NOT NULL DEFAULT '',
    phone    text NOT NULL DEFAULT ''
);
INSERT INTO insurers (id, name) VALUES
 ('a0000000-0000-4000-8000-000000000001', 'MAIF'), ('a0000000-0000-4000-8000-000000000002', 'MACIF'),
 ('a0000000-0000-4000-8000-000000000003', 'MAAF'), ('a0000000-0000-4000-8000-000000000004', 'MATMUT'),
 ('a0000000-0000-4000-8000-000000000005', 'AXA'), ('a0000000-0000-4000-8000-000000000006', 'Allianz'),
 ('a0000000-0000-4000-8000-000000000007', 'GMF'), ('a0000000-0000-4000-8000-000000000008', 'Groupama'),
 ('a0000000-0000-4000-8000-000000000009', 'Crédit Agricole Assurances'),
 ('a0000000-0000-4000-8000-000000000010', 'Generali');

-- Every read of a health sheet by staff: who, when, which child.
CREATE TABLE health_reads (
    id          bigserial PRIMARY KEY,
    reader      text NOT NULL,
    child_id    uuid NOT NULL,
    sheet_id    uuid NOT NULL,
    read_at     timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX health_reads_child ON health_reads (child_id, read_at);
