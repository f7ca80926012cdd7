-- The structure a mail is about, when one is known (digest, waiting list, payment, a child's sheet):
-- staff see the deliveries of their structures only (services/notify/access.py). Deliveries recorded
-- before this migration, and mails about no structure (accounts, passwords), stay visible to
-- administrators only.
ALTER TABLE deliveries ADD COLUMN structure_id uuid;
CREATE INDEX deliveries_structure ON deliveries (structure_id, status, id DESC);
