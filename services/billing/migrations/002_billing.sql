-- Projections: children (from auth), quotients familiaux (from dossier).
CREATE TABLE children (
    id          uuid PRIMARY KEY,
    family_id   uuid NOT NULL,
    first_name  text NOT NULL,
    last_name   text NOT NULL,
    birth_date  date NOT NULL
);
CREATE INDEX children_family ON children (family_id);
CREATE TABLE families (
    id           uuid PRIMARY KEY,
    identifiant  text NOT NULL,
    label        text NOT NULL
);
CREATE TABLE structures (
    id    uuid PRIMARY KEY,
    name  text NOT NULL
);
CREATE TABLE quotients (
    family_id        uuid PRIMARY KEY,
    family_quotient  integer,
    updated_at       timestamptz NOT NULL
);

-- Tariff versions per activity (the rule is contracts/pricing.py).
CREATE TABLE tariffs (
    id                 uuid PRIMARY KEY,
    structure_id       uuid NOT NULL,
    activity_id        uuid NOT NULL,
    activity_name      text NOT NULL,
    effective_from     date NOT NULL,
    body               jsonb NOT NULL,  -- contracts.pricing.Tariff
    created_at         timestamptz NOT NULL DEFAULT now(),
    UNIQUE (activity_id, effective_from)
);

-- What each family consumed; a negative total credits an invoiced line after a cancellation.
CREATE TABLE consumptions (
    id                uuid PRIMARY KEY,
    family_id         uuid NOT NULL,
    structure_id      uuid NOT NULL,
    child_id          uuid NOT NULL,
    first_name        text NOT NULL,
    last_name         text NOT NULL,
    booking_id        uuid NOT NULL,
    activity_id       uuid NOT NULL,
    activity_name     text NOT NULL,
    day               date NOT NULL,
    unit_price_cents  integer NOT NULL,
    quantity          integer NOT NULL,
    total_cents       integer NOT NULL,
    credit_of         uuid REFERENCES consumptions (id),
    invoice_id        uuid,
    source_event_id   uuid NOT NULL,
    created_at        timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX consumptions_one_charge ON consumptions (booking_id) WHERE credit_of IS NULL;
CREATE UNIQUE INDEX consumptions_one_credit ON consumptions (credit_of) WHERE credit_of IS NOT NULL;
CREATE INDEX consumptions_family_day ON consumptions (family_id, day);
CREATE INDEX consumptions_uninvoiced ON consumptions (day) WHERE invoice_id IS NULL;

CREATE SEQUENCE invoice_number_seq;
CREATE TABLE invoices (
    id            uuid PRIMARY KEY,
    number        text NOT NULL UNIQUE,
    family_id     uuid NOT NULL,
    structure_id  uuid NOT NULL,
    period_start  date NOT NULL,
    period_end    date NOT NULL,
    issued_on     date NOT NULL,
    due_on        date NOT NULL,
    total_cents   integer NOT NULL
);
CREATE INDEX invoices_family ON invoices (family_id, issued_on);
ALTER TABLE consumptions ADD FOREIGN KEY (invoice_id) REFERENCES invoices (id);

CREATE TABLE payments (
    id            uuid PRIMARY KEY,
    family_id     uuid NOT NULL,
    structure_id  uuid NOT NULL,
    amount_cents  integer NOT NULL CHECK (amount_cents > 0),
    method        text NOT NULL CHECK (method IN ('cash', 'cheque', 'card', 'cesu', 'transfer', 'online')),
    reference     text NOT NULL,
    status        text NOT NULL CHECK (status IN ('pending', 'received', 'cancelled')),
    provider_ref  text UNIQUE,
    invoice_id    uuid REFERENCES invoices (id),  -- the invoice an online payment was started for
    received_at   timestamptz,
    created_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX payments_family ON payments (family_id, created_at);

CREATE TABLE allocations (
    payment_id    uuid NOT NULL REFERENCES payments (id),
    invoice_id    uuid NOT NULL REFERENCES invoices (id),
    amount_cents  integer NOT NULL CHECK (amount_cents > 0),
    PRIMARY KEY (payment_id, invoice_id)
);

-- The local test payment provider's own state (a real provider keeps this on its side).
CREATE TABLE test_provider_checkouts (
    id            text PRIMARY KEY,
    amount_cents  integer NOT NULL,
    description   text NOT NULL,
    return_url    text NOT NULL,
    callback_url  text NOT NULL,
    status        text NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'paid', 'cancelled')),
    created_at    timestamptz NOT NULL DEFAULT now()
);
