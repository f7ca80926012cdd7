-- Mass closures (issue 19): a closure that cancels the bookings of its days. Its sessions are kept (their
-- cancelled bookings point at them) but marked closed, so nobody books them until staff re-open them.
ALTER TABLE closures ADD COLUMN cancels_bookings boolean NOT NULL DEFAULT false,
                     ADD COLUMN closed_at timestamptz NOT NULL DEFAULT now(),
                     ADD COLUMN reopened_at timestamptz;  -- withdrawn before its first day: its days open again
ALTER TABLE sessions ADD COLUMN closed_by uuid REFERENCES closures (id) ON DELETE SET NULL;
CREATE INDEX sessions_closed_by ON sessions (closed_by) WHERE closed_by IS NOT NULL;
