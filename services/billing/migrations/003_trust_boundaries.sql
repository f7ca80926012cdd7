-- The structures a family belongs to (from auth.family_changed: the family's and its children's),
-- one of the facts billing's access rules read (services/billing/access.py).
CREATE TABLE family_structures (
    family_id     uuid NOT NULL,
    structure_id  uuid NOT NULL,
    PRIMARY KEY (family_id, structure_id)
);
CREATE INDEX family_structures_structure ON family_structures (structure_id);
CREATE INDEX invoices_family_structure ON invoices (family_id, structure_id);
CREATE INDEX payments_family_structure ON payments (family_id, structure_id);

-- The test provider sends a cancelled payment back here (default: the return URL).
ALTER TABLE test_provider_checkouts ADD COLUMN cancel_url text;
