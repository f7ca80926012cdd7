-- Shared custody (garde alternée, from auth's family events): the child's second household. Each household
-- books its own days (bookings.family_id is the household that booked); the child stays listed under its
-- first family (children.family_id) and under the other one here.
ALTER TABLE children ADD COLUMN other_family_ids uuid[] NOT NULL DEFAULT '{}';
CREATE INDEX children_other_families ON children USING gin (other_family_ids);
