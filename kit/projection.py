"""Projections of other services' facts: one freshness rule for every consumer.

Each fact an owner publishes (a structure, a family with its children, a family's contacts, a quotient,
a signed règlement intérieur, a transmitted booking) carries its **version**: the owner's `updated_at`
of that fact, raised on every change (the payload's own timestamp; for an older event without one, the
envelope's `occurred_at`). A consumer keeps, per fact, the version it last applied in its own
`projection_versions` table, and applies an event only when its version is **not older** than the one
kept:

    apply  ⇔  kept version is absent  or  kept version <= event's version

An equal version is applied again (a resync republishes the same facts with the same version: it repairs
a row lost or damaged in the projection and changes nothing otherwise); an older one is skipped and
logged. The same rule holds for the normal events and for the resync snapshots, in every service.

`claim` is the guard for a fact spread over several rows (a family: its structures and children);
`upsert` is the guard and the upsert of one row. Each consumer's migration creates the table:

    CREATE TABLE projection_versions (
        kind          text NOT NULL,          -- 'structures', 'families', 'quotients', ...
        key           text NOT NULL,          -- the fact's identifier (uuid, or 'child:structure')
        version       timestamptz NOT NULL,
        structure_id  uuid,                   -- the structure the fact is counted under
        PRIMARY KEY (kind, key)
    );
"""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from datetime import datetime
from typing import Any

import asyncpg

from contracts.envelope import Envelope
from kit.logging import get_logger

log = get_logger(__name__)

Key = uuid.UUID | str | tuple


def key_text(key: Key) -> str:
    """A fact's identifier as stored: a uuid as text, a composite key joined with ':'."""
    if isinstance(key, tuple):
        return ":".join(str(k) for k in key)
    return str(key)


def version_of(envelope: Envelope[Any], stated: datetime | None) -> datetime:
    """The version of the fact an event carries: the owner's timestamp when the payload states one,
    else when the event was written (events published before versions were stated)."""
    return stated if stated is not None else envelope.occurred_at


async def claim(conn: asyncpg.Connection, kind: str, key: Key, version: datetime,
                structure_id: uuid.UUID | None = None) -> bool:
    """Record `version` for this fact when it is not older than the one kept, in the caller's
    transaction (the row lock orders concurrent events). True: apply the event; False: it is stale."""
    applied = await conn.fetchval(
        """INSERT INTO projection_versions (kind, key, version, structure_id) VALUES ($1, $2, $3, $4)
           ON CONFLICT (kind, key) DO UPDATE SET version = excluded.version, structure_id = excluded.structure_id
           WHERE projection_versions.version <= excluded.version
           RETURNING true""", kind, key_text(key), version, structure_id)
    if not applied:
        log.info("stale fact skipped: the projection holds a newer version", kind=kind, key=key_text(key),
                 version=version.isoformat())
    return bool(applied)


async def upsert(conn: asyncpg.Connection, table: str, row: Mapping[str, Any], *, conflict: Sequence[str],
                 kind: str, key: Key, version: datetime, structure_id: uuid.UUID | None = None,
                 casts: Mapping[str, str] | None = None) -> bool:
    """Insert or replace one projection row under the freshness guard. `conflict`: the columns of the
    row's unique key; `casts`: SQL casts of some values (e.g. {"body": "jsonb"}). Table and column names
    come from the code, never from an event. True when written."""
    if not await claim(conn, kind, key, version, structure_id):
        return False
    columns = list(row)
    casts = casts or {}
    values = ", ".join(f"${i}" + (f"::{casts[c]}" if c in casts else "") for i, c in enumerate(columns, 1))
    updates = ", ".join(f"{c} = excluded.{c}" for c in columns if c not in conflict)
    action = f"DO UPDATE SET {updates}" if updates else "DO NOTHING"
    await conn.execute(
        f"INSERT INTO {table} ({', '.join(columns)}) VALUES ({values}) "  # table and columns from code
        f"ON CONFLICT ({', '.join(conflict)}) {action}", *row.values())
    return True
