-- Every transmitted booking movement, as billing received it: the input of consumption records.
CREATE TABLE booking_movements (
    event_id         uuid NOT NULL,
    booking_id       uuid NOT NULL,
    transmission_id  uuid NOT NULL,
    family_id        uuid NOT NULL,
    structure_id     uuid NOT NULL,
    child_id         uuid NOT NULL,
    activity_id      uuid NOT NULL,
    activity_name    text NOT NULL,
    day              date NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('reserve', 'cancel')),
    outcome          text NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (event_id, booking_id, kind)
);
CREATE INDEX booking_movements_family_day ON booking_movements (family_id, day);
