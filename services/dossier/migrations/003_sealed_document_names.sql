-- A document's file name often says what it is ("ordonnance asthme Léa.pdf"): it is sealed at rest like
-- the file (ADR 0004). New rows only have name_sealed; the clear names of existing rows are sealed by
-- the service at start-up, with the key it holds (services/dossier/seal_names.py), which empties
-- display_name. Nothing is readable in clear once that has run.
ALTER TABLE documents ADD COLUMN name_sealed bytea;
ALTER TABLE documents ALTER COLUMN display_name DROP NOT NULL;
ALTER TABLE documents ADD CONSTRAINT documents_name_once CHECK (display_name IS NULL OR name_sealed IS NULL);
ALTER TABLE documents ADD CONSTRAINT documents_name_known CHECK (display_name IS NOT NULL OR name_sealed IS NOT NULL);
CREATE INDEX documents_clear_name ON documents (id) WHERE display_name IS NOT NULL;
