-- The « attestation de frais de garde » (issue 19): which activities of a structure count for it (staff
-- choose), what the structure writes at the top of it (its details), and the years staff issued for the
-- structure (its families may then download their certificates). The amounts are never stored: they are
-- the year's payments, allotted by the invoices they paid (services/billing/domain/tax_certificates.py).
CREATE TABLE tax_eligible_activities (
    structure_id  uuid NOT NULL,
    activity_id   uuid NOT NULL,
    PRIMARY KEY (structure_id, activity_id)
);

CREATE TABLE tax_issuers (
    structure_id  uuid PRIMARY KEY,
    details       text NOT NULL,
    updated_at    timestamptz NOT NULL
);

CREATE TABLE tax_years (
    structure_id  uuid NOT NULL,
    year          integer NOT NULL CHECK (year >= 2000),
    issued_by     text NOT NULL,
    issued_at     timestamptz NOT NULL,
    PRIMARY KEY (structure_id, year)
);

CREATE INDEX allocations_invoice ON allocations (invoice_id);
