-- The règlement intérieur is versioned per structure and school year (dossier.house_rules_published,
-- issue 16): a signature counts only while no newer version of its school year is published.
ALTER TABLE house_rules_signed ADD COLUMN school_year text, ADD COLUMN version integer;
CREATE TABLE house_rules_versions (
    structure_id  uuid NOT NULL,
    school_year   text NOT NULL,
    version       integer NOT NULL,
    published_at  timestamptz NOT NULL,
    PRIMARY KEY (structure_id, school_year)
);
