-- Declared absences accepted by staff (issue 19, booking.absence_justified): each booked day, charged (the
-- structure's waiting period) or not. A day not charged has its charge removed (not invoiced yet) or credited,
-- and a charge arriving later for it (its transmission after the answer) is removed the same way.
CREATE TABLE justified_absences (
    booking_id     uuid PRIMARY KEY,
    absence_id     uuid NOT NULL,
    family_id      uuid NOT NULL,
    structure_id   uuid NOT NULL,
    child_id       uuid NOT NULL,
    first_name     text NOT NULL,
    last_name      text NOT NULL,
    activity_name  text NOT NULL,
    day            date NOT NULL,
    charged        boolean NOT NULL,
    justified_at   timestamptz NOT NULL
);
CREATE INDEX justified_absences_family ON justified_absences (family_id, day);
