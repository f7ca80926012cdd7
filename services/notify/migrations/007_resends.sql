-- Staff send a failed mail again (services/notify/domain/resend.py): the attempts start over, the log keeps
-- how many times and when it was last sent again, and by whom.
ALTER TABLE deliveries ADD COLUMN resends integer NOT NULL DEFAULT 0;
ALTER TABLE deliveries ADD COLUMN resent_at timestamptz;
ALTER TABLE deliveries ADD COLUMN resent_by text;
CREATE INDEX deliveries_family ON deliveries (family_id, id DESC) WHERE family_id IS NOT NULL;
