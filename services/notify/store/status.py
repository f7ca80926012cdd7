"""The SQL of the morning digest's status as a structure's staff see it: the latest run, when the
structure's movements were last digested and how many mails that run wrote for it, and what still waits."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

__all__ = ["DigestStatus", "digest_status"]


@dataclass(frozen=True)
class DigestStatus:
    last_run_at: datetime | None  # the latest run's end (or start while it works)
    last_run_mails: int
    structure_digested_at: datetime | None  # when the structure's movements were last digested
    structure_mails: int  # the digest mails of the structure written by that run
    structure_waiting: int  # families with movements of the structure not digested yet


async def digest_status(conn: asyncpg.Connection, structure_id: uuid.UUID) -> DigestStatus:
    last = await conn.fetchrow("SELECT coalesce(finished_at, started_at) AS at, mails FROM digest_runs "
                               "ORDER BY started_at DESC LIMIT 1")
    done = await conn.fetchrow("SELECT digested_at, digest_run_id FROM digest_movements "
                               "WHERE structure_id = $1 AND digested_at IS NOT NULL "
                               "ORDER BY digested_at DESC LIMIT 1", structure_id)
    mails = await conn.fetchval("SELECT count(*) FROM deliveries WHERE template = 'digest' AND structure_id = $1 "
                                "AND digest_run_id = $2", structure_id, done["digest_run_id"]) if done else 0
    waiting = await conn.fetchval("SELECT count(DISTINCT family_id) FROM digest_movements "
                                  "WHERE structure_id = $1 AND digested_at IS NULL", structure_id)
    return DigestStatus(last["at"] if last else None, last["mails"] if last else 0,
                        done["digested_at"] if done else None, mails, waiting)
