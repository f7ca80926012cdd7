-- The version of a family's e-mail addresses (auth.family_contacts.v1 carries it; notify keeps the
-- newest): raised each time they are published after a change, repeated as is by a resync.
ALTER TABLE accounts ADD COLUMN contacts_updated_at timestamptz NOT NULL DEFAULT now();
