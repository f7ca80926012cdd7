-- Medical certificates of declared absences (issue 19): health data, so dossier keeps them, sealed in its
-- storage like the sheets' documents (ADR 0004) and under the same upload rules; booking keeps only the id.
CREATE TABLE medical_certificates (
    id           uuid PRIMARY KEY,
    family_id    uuid NOT NULL,
    child_id     uuid NOT NULL,
    mime         text NOT NULL,
    size_bytes   integer NOT NULL,
    storage_key  text NOT NULL UNIQUE,
    name_sealed  bytea NOT NULL,
    uploaded_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX medical_certificates_family ON medical_certificates (family_id);
