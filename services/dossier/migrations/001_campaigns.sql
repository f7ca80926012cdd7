-- Yearly dossier campaigns (the sheets come with the dossier issue).
CREATE TABLE campaigns (
    id           uuid PRIMARY KEY,
    school_year  text NOT NULL UNIQUE,
    opened_at    timestamptz NOT NULL DEFAULT now()
);
