-- Mass closures (issue 19): a closure that cancels the bookings of its days. Its sessions are kept (their
-- cancelled bookings point at them) but marked closed, so nobody books them until staff re-open them.
ALTER TABLE closures ADD COLUMN cancels_bookings boolean NOT NULL DEFAULT false,
                     ADD COLUMN closed_at timestamptz NOT NULL DEFAULT now(),
                     ADD COLUMN reopened_at timestamptz;  -- withdrawn before its first day: its days open again
ALTER TABLE sessions ADD COLUMN closed_by uuid REFERENCES closures (id) ON DELETE SET NULL;
CREATE INDEX sessions_closed_by ON sessions (closed_by) WHERE closed_by IS NOT NULL;

-- Declared absences (issue 19): a family declares its child absent (illness) on booked days, with a medical
-- certificate kept by dossier (health data never lives here: only its identifier); staff answer.
CREATE TABLE absence_rules (
    structure_id  uuid PRIMARY KEY,
    waiting_days  integer NOT NULL CHECK (waiting_days BETWEEN 0 AND 30),  -- « délai de carence »: days charged
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE TABLE absences (
    id              uuid PRIMARY KEY,
    family_id       uuid NOT NULL,
    child_id        uuid NOT NULL,
    structure_id    uuid NOT NULL,
    start_day       date NOT NULL,
    end_day         date NOT NULL CHECK (end_day >= start_day),
    certificate_id  uuid NOT NULL,
    status          text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'accepted', 'refused')),
    reason          text,
    waiting_days    integer,  -- the structure's rule when accepted
    declared_at     timestamptz NOT NULL,
    answered_at     timestamptz
);
CREATE INDEX absences_structure ON absences (structure_id, status, start_day);
CREATE INDEX absences_family ON absences (family_id, start_day);
CREATE TABLE absence_days (
    absence_id  uuid NOT NULL REFERENCES absences (id),
    booking_id  uuid NOT NULL REFERENCES bookings (id),
    charged     boolean,  -- set on acceptance: a day of the waiting period stays charged
    PRIMARY KEY (absence_id, booking_id)
);
CREATE INDEX absence_days_booking ON absence_days (booking_id);
-- What the follow-up tells of a booking's absence: declared, justified (charged or not), refused.
ALTER TABLE bookings ADD COLUMN absence text CHECK (absence IN ('declared', 'justified', 'justified_charged',
                                                                'refused'));
