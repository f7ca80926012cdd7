-- Shared custody (garde alternée): a child's second household. The child stays in its first family
-- (children.family_id); this row makes it a member of one other family too, each with its own account.
CREATE TABLE child_households (
    child_id   uuid PRIMARY KEY REFERENCES children (id) ON DELETE CASCADE,  -- two households at most
    family_id  uuid NOT NULL REFERENCES families (id) ON DELETE CASCADE,
    linked_by  uuid,
    linked_at  timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX child_households_family ON child_households (family_id);
