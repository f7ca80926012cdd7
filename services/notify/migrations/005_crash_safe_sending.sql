-- Crash-safe sending (issue 14). Each attempt is recorded, committed, before the mail is handed to SMTP:
-- status 'sending', the attempt count and its time. The sender holds a session advisory lock on the
-- delivery while it sends; a 'sending' row whose lock is free belonged to a sender that died during the
-- hand-off: it is sent again (same Message-ID, derived from the delivery) and counted in `repeats`.
ALTER TABLE deliveries DROP CONSTRAINT deliveries_status_check;
ALTER TABLE deliveries ADD CONSTRAINT deliveries_status_check
    CHECK (status IN ('pending', 'sending', 'sent', 'failed'));
ALTER TABLE deliveries ADD COLUMN last_attempt_at timestamptz;
-- attempts interrupted by a crash and sent again: the family may have received this mail twice
ALTER TABLE deliveries ADD COLUMN repeats integer NOT NULL DEFAULT 0;
CREATE INDEX deliveries_sending ON deliveries (id) WHERE status = 'sending';

-- A digest run interrupted by a crash is resumed: the run a delivery and a movement were digested in,
-- so the run's figures count every pass over it.
ALTER TABLE deliveries ADD COLUMN digest_run_id uuid;
CREATE INDEX deliveries_digest_run ON deliveries (digest_run_id) WHERE digest_run_id IS NOT NULL;
ALTER TABLE digest_movements ADD COLUMN digest_run_id uuid;
CREATE INDEX digest_movements_run ON digest_movements (digest_run_id) WHERE digest_run_id IS NOT NULL;
ALTER TABLE digest_runs ADD COLUMN resumed integer NOT NULL DEFAULT 0;  -- times taken over after a crash
