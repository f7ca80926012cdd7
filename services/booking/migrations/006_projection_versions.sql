-- The version of each projected fact, as its owner stated it (kit/projection.py): an event is applied
-- only when its version is not older than the one kept here. Empty at first: the first event or resync
-- of each fact fills it.
CREATE TABLE projection_versions (
    kind          text NOT NULL,
    key           text NOT NULL,
    version       timestamptz NOT NULL,
    structure_id  uuid,
    PRIMARY KEY (kind, key)
);
CREATE INDEX projection_versions_kind ON projection_versions (kind, structure_id);

-- The verdicts of the consistency checks of this service's projections (kit/consistency.py).
CREATE TABLE consistency_verdicts (
    id          bigserial PRIMARY KEY,
    check_id    uuid,
    owner       text NOT NULL,
    checked_at  timestamptz NOT NULL,
    consistent  boolean NOT NULL,
    body        jsonb NOT NULL
);
CREATE INDEX consistency_verdicts_owner ON consistency_verdicts (owner, id DESC);
