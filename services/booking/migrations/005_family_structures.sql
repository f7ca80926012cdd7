-- The structures each family belongs to (from auth's family events): staff enrol in an activity only
-- children of families of the activity's structure. Until auth's next event, the structures of the
-- family's children already known stand for them.
CREATE TABLE family_structures (
    family_id     uuid NOT NULL,
    structure_id  uuid NOT NULL,
    PRIMARY KEY (family_id, structure_id)
);
INSERT INTO family_structures (family_id, structure_id)
SELECT DISTINCT family_id, structure_id FROM children ON CONFLICT DO NOTHING;
