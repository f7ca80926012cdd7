-- Costs come from billing's tariffs (one rule: contracts/pricing.py), not from the activity.
ALTER TABLE activities DROP COLUMN price_cents;
CREATE TABLE tariffs (
    id              uuid PRIMARY KEY,
    activity_id     uuid NOT NULL,
    effective_from  date NOT NULL,
    body            jsonb NOT NULL,
    UNIQUE (activity_id, effective_from)
);
CREATE TABLE quotients (
    family_id        uuid PRIMARY KEY,
    family_quotient  integer,
    updated_at       timestamptz NOT NULL
);
