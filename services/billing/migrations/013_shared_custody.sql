-- Shared custody (garde alternée, from auth's family events): a child's second household. Each household is
-- billed for its own bookings (the transmissions carry the household that booked); the child counts in the
-- ranks of both.
ALTER TABLE children ADD COLUMN other_family_ids uuid[] NOT NULL DEFAULT '{}';
