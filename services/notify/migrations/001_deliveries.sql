-- Delivery log: each mail is recorded (rendered) before it is sent, so a crash between "decided"
-- and "sent" resends it instead of losing it.
CREATE TABLE deliveries (
    id            bigserial PRIMARY KEY,
    event_id      uuid NOT NULL,
    template      text NOT NULL,
    recipients    text[] NOT NULL,
    subject       text NOT NULL,
    body_text     text NOT NULL,
    body_html     text,
    status        text NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'sent', 'failed')),
    attempts      integer NOT NULL DEFAULT 0,
    smtp_answer   text,
    next_attempt_at timestamptz NOT NULL DEFAULT now(),
    created_at    timestamptz NOT NULL DEFAULT now(),
    sent_at       timestamptz,
    UNIQUE (event_id, template)
);
CREATE INDEX deliveries_pending ON deliveries (next_attempt_at) WHERE status = 'pending';

CREATE FUNCTION deliveries_notify() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    PERFORM pg_notify('deliveries', '');
    RETURN NULL;
END $$;
CREATE TRIGGER deliveries_inserted AFTER INSERT ON deliveries
    FOR EACH STATEMENT EXECUTE FUNCTION deliveries_notify();

-- The night's transmitted movements per family, waiting for the morning digest.
CREATE TABLE digest_movements (
    event_id         uuid PRIMARY KEY,
    transmission_id  uuid NOT NULL,
    family_id        uuid NOT NULL,
    structure_id     uuid NOT NULL,
    structure_name   text NOT NULL,
    payload          jsonb NOT NULL,
    received_at      timestamptz NOT NULL DEFAULT now(),
    digested_at      timestamptz
);
CREATE INDEX digest_movements_pending ON digest_movements (family_id) WHERE digested_at IS NULL;
