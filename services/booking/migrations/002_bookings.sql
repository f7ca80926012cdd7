-- Projections of other services' facts (from their events; booking never asks them).
CREATE TABLE structures (
    id          uuid PRIMARY KEY,
    name        text NOT NULL,
    updated_at  timestamptz NOT NULL
);
CREATE TABLE children (
    id            uuid PRIMARY KEY,
    family_id     uuid NOT NULL,
    first_name    text NOT NULL,
    last_name     text NOT NULL,
    birth_date    date NOT NULL,
    structure_id  uuid NOT NULL
);
CREATE INDEX children_family ON children (family_id);
CREATE TABLE house_rules_signed (
    child_id      uuid NOT NULL,
    structure_id  uuid NOT NULL,
    signed_at     timestamptz NOT NULL,
    PRIMARY KEY (child_id, structure_id)
);

-- What staff configure.
CREATE TABLE activities (
    id                    uuid PRIMARY KEY,
    structure_id          uuid NOT NULL,
    name                  text NOT NULL,
    kind                  text NOT NULL DEFAULT 'fixed' CHECK (kind IN ('fixed', 'time_entry')),
    start_time            time NOT NULL,
    end_time              time NOT NULL CHECK (end_time > start_time),
    default_capacity      integer CHECK (default_capacity > 0),
    waitlist_allowed      boolean NOT NULL DEFAULT true,
    needs_approval        boolean NOT NULL DEFAULT false,
    requires_house_rules  boolean NOT NULL DEFAULT false,
    enrolment_required    boolean NOT NULL DEFAULT false,
    booking_days_before   integer NOT NULL DEFAULT 2 CHECK (booking_days_before >= 0),
    booking_working_days  boolean NOT NULL DEFAULT true,
    booking_at            time NOT NULL DEFAULT '10:00',
    cancel_days_before    integer NOT NULL DEFAULT 2 CHECK (cancel_days_before >= 0),
    cancel_working_days   boolean NOT NULL DEFAULT true,
    cancel_at             time NOT NULL DEFAULT '10:00',
    price_cents           integer CHECK (price_cents >= 0),
    created_at            timestamptz NOT NULL DEFAULT now(),
    UNIQUE (structure_id, name)
);
CREATE TABLE activity_incompatibilities (
    a  uuid NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    b  uuid NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    PRIMARY KEY (a, b),
    CHECK (a < b)
);
CREATE TABLE enrolments (
    child_id     uuid NOT NULL,
    activity_id  uuid NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    PRIMARY KEY (child_id, activity_id)
);
CREATE TABLE school_holidays (
    id            uuid PRIMARY KEY,
    structure_id  uuid NOT NULL,
    start_day     date NOT NULL,
    end_day       date NOT NULL CHECK (end_day >= start_day),
    label         text NOT NULL DEFAULT ''
);
CREATE TABLE closures (
    id            uuid PRIMARY KEY,
    structure_id  uuid NOT NULL,
    activity_id   uuid REFERENCES activities (id) ON DELETE CASCADE,
    start_day     date NOT NULL,
    end_day       date NOT NULL CHECK (end_day >= start_day),
    label         text NOT NULL DEFAULT ''
);

-- The days an activity opens. `taken` counts accepted bookings; the CHECK makes overbooking impossible.
CREATE TABLE sessions (
    id           uuid PRIMARY KEY,
    activity_id  uuid NOT NULL REFERENCES activities (id) ON DELETE CASCADE,
    day          date NOT NULL,
    start_time   time NOT NULL,
    end_time     time NOT NULL,
    capacity     integer CHECK (capacity >= 0),
    taken        integer NOT NULL DEFAULT 0 CHECK (taken >= 0),
    UNIQUE (activity_id, day),
    CHECK (capacity IS NULL OR taken <= capacity)
);
CREATE INDEX sessions_day ON sessions (day);

CREATE SEQUENCE booking_request_seq;
CREATE TABLE bookings (
    id            uuid PRIMARY KEY,
    session_id    uuid NOT NULL REFERENCES sessions (id),
    activity_id   uuid NOT NULL,
    child_id      uuid NOT NULL,
    family_id     uuid NOT NULL,
    day           date NOT NULL,
    arrival       time,
    departure     time,
    status        text NOT NULL CHECK (status IN ('accepted', 'waitlisted', 'refused', 'pending', 'cancelled')),
    request_seq   bigint NOT NULL DEFAULT nextval('booking_request_seq'),  -- waiting-list order
    requested_at  timestamptz NOT NULL DEFAULT now(),
    changed_at    timestamptz NOT NULL DEFAULT now(),
    transmitted   boolean NOT NULL DEFAULT false,  -- its latest movement went out in a transmission
    reason        text
);
CREATE UNIQUE INDEX bookings_one_per_child_and_day ON bookings (child_id, session_id) WHERE status <> 'cancelled';
CREATE INDEX bookings_family_day ON bookings (family_id, day);
CREATE INDEX bookings_child_day ON bookings (child_id, day);
CREATE INDEX bookings_waitlist ON bookings (session_id, request_seq) WHERE status = 'waitlisted';

-- Every movement of a request (what the nightly transmission reports).
CREATE TABLE movements (
    id               bigserial PRIMARY KEY,
    booking_id       uuid NOT NULL REFERENCES bookings (id),
    family_id        uuid NOT NULL,
    kind             text NOT NULL CHECK (kind IN ('reserve', 'cancel')),
    outcome          text NOT NULL CHECK (outcome IN ('accepted', 'waitlisted', 'refused', 'pending', 'cancelled')),
    created_at       timestamptz NOT NULL DEFAULT now(),
    transmission_id  uuid
);
CREATE INDEX movements_pending ON movements (family_id, id) WHERE transmission_id IS NULL;

-- Private, revocable iCal feed per family (only the token's hash is kept).
CREATE TABLE feed_tokens (
    family_id   uuid PRIMARY KEY,
    token_hash  bytea NOT NULL UNIQUE,
    created_at  timestamptz NOT NULL DEFAULT now()
);

ALTER TABLE transmissions ADD COLUMN finished_at timestamptz;
