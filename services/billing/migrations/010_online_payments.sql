-- Online payment through eopayment (issue 19): each structure's payment backend and its options (set by
-- its staff; secrets included, never shown back nor published), and one online transaction per pending
-- online payment with the state the backend reported. The local test provider's checkouts are gone.
CREATE TABLE payment_backends (
    structure_id  uuid PRIMARY KEY,
    backend       text NOT NULL,
    options       jsonb NOT NULL DEFAULT '{}'::jsonb,
    updated_at    timestamptz NOT NULL DEFAULT now(),
    updated_by    text NOT NULL DEFAULT ''
);

CREATE TABLE online_transactions (
    payment_id      uuid PRIMARY KEY REFERENCES payments (id),
    structure_id    uuid NOT NULL,
    family_id       uuid NOT NULL,
    backend         text NOT NULL,
    transaction_id  text NOT NULL,
    amount_cents    integer NOT NULL CHECK (amount_cents > 0),
    invoice_number  text NOT NULL,
    state           text NOT NULL DEFAULT 'pending'
                    CHECK (state IN ('pending', 'paid', 'denied', 'cancelled', 'expired', 'error')),
    bank_status     text NOT NULL DEFAULT '',
    notifications   integer NOT NULL DEFAULT 0,
    created_at      timestamptz NOT NULL,
    updated_at      timestamptz NOT NULL,
    UNIQUE (backend, transaction_id)
);
CREATE INDEX online_transactions_structure ON online_transactions (structure_id, created_at DESC);
CREATE INDEX online_transactions_family ON online_transactions (family_id, created_at DESC);
CREATE INDEX online_transactions_pending ON online_transactions (created_at) WHERE state = 'pending';

DROP TABLE test_provider_checkouts;
