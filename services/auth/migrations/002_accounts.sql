-- Families and their members, accounts, staff structures, sessions, resets, throttling, consents.
CREATE TABLE families (
    id            uuid PRIMARY KEY,
    identifiant   text NOT NULL,
    structure_id  uuid NOT NULL REFERENCES structures (id),
    created_at    timestamptz NOT NULL DEFAULT now(),
    updated_at    timestamptz NOT NULL DEFAULT now()
);
CREATE UNIQUE INDEX families_identifiant ON families (lower(identifiant));

CREATE TABLE guardians (
    id          uuid PRIMARY KEY,
    family_id   uuid NOT NULL REFERENCES families (id) ON DELETE CASCADE,
    rank        smallint NOT NULL CHECK (rank IN (1, 2)),
    first_name  text NOT NULL,
    last_name   text NOT NULL,
    UNIQUE (family_id, rank)
);

CREATE TABLE children (
    id            uuid PRIMARY KEY,
    family_id     uuid NOT NULL REFERENCES families (id) ON DELETE CASCADE,
    first_name    text NOT NULL,
    last_name     text NOT NULL,
    birth_date    date NOT NULL,
    structure_id  uuid NOT NULL REFERENCES structures (id)
);
CREATE UNIQUE INDEX children_identity ON children (family_id, lower(first_name), lower(last_name), birth_date);

CREATE TABLE accounts (
    id                    uuid PRIMARY KEY,
    login                 text NOT NULL,
    role                  text NOT NULL CHECK (role IN ('parent', 'staff', 'admin')),
    family_id             uuid UNIQUE REFERENCES families (id) ON DELETE CASCADE,
    display_name          text NOT NULL,
    password_hash         text NOT NULL,
    must_change_password  boolean NOT NULL DEFAULT true,
    emails                text[] NOT NULL DEFAULT '{}',
    created_at            timestamptz NOT NULL DEFAULT now(),
    password_changed_at   timestamptz,
    CHECK ((role = 'parent') = (family_id IS NOT NULL))
);
CREATE UNIQUE INDEX accounts_login ON accounts (lower(login));

CREATE TABLE staff_structures (
    account_id    uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    structure_id  uuid NOT NULL REFERENCES structures (id),
    PRIMARY KEY (account_id, structure_id)
);

-- Server-side sessions: the browser holds only the token; we keep its SHA-256.
CREATE TABLE sessions (
    id              uuid PRIMARY KEY,
    token_hash      bytea NOT NULL UNIQUE,
    account_id      uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    csrf_token      text NOT NULL,
    structure_id    uuid REFERENCES structures (id),
    client_address  text,
    created_at      timestamptz NOT NULL DEFAULT now(),
    last_seen_at    timestamptz NOT NULL DEFAULT now()
);
CREATE INDEX sessions_account ON sessions (account_id);

-- Password-reset links: single use, short-lived; only the hash is kept.
CREATE TABLE reset_tokens (
    token_hash  bytea PRIMARY KEY,
    account_id  uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    created_at  timestamptz NOT NULL DEFAULT now(),
    expires_at  timestamptz NOT NULL,
    used_at     timestamptz
);
CREATE INDEX reset_tokens_account ON reset_tokens (account_id);

-- Failed sign-ins in a row, per identifiant typed and per client address.
CREATE TABLE login_throttle (
    key              text PRIMARY KEY,
    failures         integer NOT NULL DEFAULT 0,
    last_failure_at  timestamptz,
    blocked_until    timestamptz
);

-- RGPD notice and CGU, versioned; a new version asks every parent again.
CREATE TABLE legal_documents (
    kind          text NOT NULL CHECK (kind IN ('rgpd', 'cgu')),
    version       integer NOT NULL,
    title         text NOT NULL,
    body_html     text NOT NULL,
    published_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (kind, version)
);

CREATE TABLE consents (
    account_id   uuid NOT NULL REFERENCES accounts (id) ON DELETE CASCADE,
    kind         text NOT NULL,
    version      integer NOT NULL,
    accepted_at  timestamptz NOT NULL DEFAULT now(),
    PRIMARY KEY (account_id, kind, version),
    FOREIGN KEY (kind, version) REFERENCES legal_documents (kind, version)
);
