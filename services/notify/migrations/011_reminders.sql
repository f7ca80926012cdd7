-- The automatic reminders (issue 19): the families that turned them off (in their profile), and each reminder
-- mailed, once per family and reason (a booking period, a dossier campaign) whatever the number of runs.
CREATE TABLE reminder_preferences (
    family_id      uuid PRIMARY KEY,
    reminders_off  boolean NOT NULL,
    updated_at     timestamptz NOT NULL
);

CREATE TABLE reminders_sent (
    family_id   uuid NOT NULL,
    reason_key  text NOT NULL,
    template    text NOT NULL,
    sent_at     timestamptz NOT NULL,
    PRIMARY KEY (family_id, reason_key)
);
