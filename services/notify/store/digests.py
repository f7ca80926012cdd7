"""The SQL of the morning digest: the night's movements waiting for it, the runs and their lock."""

from __future__ import annotations

import contextlib
import uuid
from collections.abc import AsyncIterator
from dataclasses import dataclass

import asyncpg

from services.notify.store.deliveries import FamilyContacts, NewDelivery
from services.notify.store.sending import LOCK_HOLDER_KEEPALIVE

__all__ = ["Movement", "RunFigures", "families_contacts", "finish_run", "insert_deliveries", "insert_movement",
           "insert_movements", "insert_run", "mark_digested", "movements_for_update", "movements_of_pairs",
           "pending_pairs", "take_over_run", "unfinished_runs"]

RUN_LOCK = 0x44475354  # "DGST": pg_advisory_lock(RUN_LOCK, hashtext(run id)) while a run works


async def insert_movement(conn: asyncpg.Connection, event_id: uuid.UUID, transmission_id: uuid.UUID,
                          family_id: uuid.UUID, structure_id: uuid.UUID, structure_name: str, payload_json: str) -> None:
    await conn.execute(
        """INSERT INTO digest_movements (event_id, transmission_id, family_id, structure_id, structure_name, payload)
           VALUES ($1, $2, $3, $4, $5, $6::jsonb)""",
        event_id, transmission_id, family_id, structure_id, structure_name, payload_json)


async def insert_movements(conn: asyncpg.Connection, rows: list[tuple]) -> None:
    """Several movements in one statement, in order: (event_id, transmission_id, family_id, structure_id,
    structure_name, payload_json) each."""
    if not rows:
        return
    await conn.execute(
        # clock_timestamp(): each row its own received_at, in order (the digest reads them in that order)
        """INSERT INTO digest_movements (event_id, transmission_id, family_id, structure_id, structure_name, payload,
                                         received_at)
           SELECT e, t, f, s, n, p::jsonb, clock_timestamp() FROM unnest($1::uuid[], $2::uuid[], $3::uuid[], $4::uuid[], $5::text[],
                                                      $6::text[]) WITH ORDINALITY AS u(e, t, f, s, n, p, i)
           ORDER BY i""", *[list(c) for c in zip(*rows)])


async def pending_pairs(conn: asyncpg.Connection) -> list[tuple[uuid.UUID, uuid.UUID]]:
    """(family, structure) with movements not digested yet."""
    rows = await conn.fetch("SELECT DISTINCT family_id, structure_id FROM digest_movements "
                            "WHERE digested_at IS NULL ORDER BY family_id, structure_id")
    return [(r["family_id"], r["structure_id"]) for r in rows]


@dataclass(frozen=True)
class Movement:
    event_id: uuid.UUID
    payload: str  # the booking.transmitted event, JSON


async def movements_for_update(conn: asyncpg.Connection, family_id: uuid.UUID,
                               structure_id: uuid.UUID) -> list[Movement]:
    """The family's movements on the structure not digested yet, in the order received; those another run
    is digesting are skipped."""
    rows = await conn.fetch(
        """SELECT event_id, payload::text AS payload FROM digest_movements
           WHERE family_id = $1 AND structure_id = $2 AND digested_at IS NULL
           ORDER BY received_at, event_id FOR UPDATE SKIP LOCKED""", family_id, structure_id)
    return [Movement(r["event_id"], r["payload"]) for r in rows]


async def movements_of_pairs(conn: asyncpg.Connection, pairs: list[tuple[uuid.UUID, uuid.UUID]]
                             ) -> dict[tuple[uuid.UUID, uuid.UUID], list[Movement]]:
    """`movements_for_update` of many (family, structure) pairs in one query, each pair's in the order
    received; those another run is digesting are skipped."""
    rows = await conn.fetch(
        """SELECT m.family_id, m.structure_id, m.event_id, m.payload::text AS payload FROM digest_movements m
           JOIN unnest($1::uuid[], $2::uuid[]) AS p(family_id, structure_id) USING (family_id, structure_id)
           WHERE m.digested_at IS NULL ORDER BY m.family_id, m.structure_id, m.received_at, m.event_id
           FOR UPDATE OF m SKIP LOCKED""", [p[0] for p in pairs], [p[1] for p in pairs])
    found: dict[tuple[uuid.UUID, uuid.UUID], list[Movement]] = {}
    for r in rows:
        found.setdefault((r["family_id"], r["structure_id"]), []).append(Movement(r["event_id"], r["payload"]))
    return found


async def families_contacts(conn: asyncpg.Connection, family_ids: list[uuid.UUID]) -> dict[uuid.UUID, FamilyContacts]:
    rows = await conn.fetch("SELECT family_id, emails, greeting FROM family_contacts WHERE family_id = ANY($1::uuid[])",
                            family_ids)
    return {r["family_id"]: FamilyContacts(tuple(r["emails"]), r["greeting"]) for r in rows}


async def insert_deliveries(conn: asyncpg.Connection, deliveries: list[NewDelivery]) -> None:
    """Digests recorded in one statement, once per (event, template) as `insert_delivery` does."""
    if not deliveries:
        return
    await conn.execute(
        """INSERT INTO deliveries (event_id, template, recipients, subject, body_text, body_html, family_id,
                                   structure_id, digest_run_id)
           SELECT u.event_id, u.template, string_to_array(u.recipients, E'\\n'), u.subject, u.body_text, u.body_html,
                  u.family_id, u.structure_id, u.digest_run_id
           FROM unnest($1::uuid[], $2::text[], $3::text[], $4::text[], $5::text[], $6::text[], $7::uuid[], $8::uuid[],
                       $9::uuid[]) WITH ORDINALITY
                AS u(event_id, template, recipients, subject, body_text, body_html, family_id, structure_id,
                     digest_run_id, n)
           ORDER BY u.n
           ON CONFLICT (event_id, template) DO NOTHING""",
        [d.event_id for d in deliveries], [d.template for d in deliveries],
        ["\n".join(d.recipients) for d in deliveries], [d.subject for d in deliveries], [d.text for d in deliveries],
        [d.html for d in deliveries], [d.family_id for d in deliveries], [d.structure_id for d in deliveries],
        [d.digest_run_id for d in deliveries])


async def mark_digested(conn: asyncpg.Connection, event_ids: list[uuid.UUID], run_id: uuid.UUID) -> None:
    await conn.execute("UPDATE digest_movements SET digested_at = now(), digest_run_id = $2 "
                       "WHERE event_id = ANY($1::uuid[])", event_ids, run_id)


async def insert_run(conn: asyncpg.Connection, run_id: uuid.UUID) -> None:
    await conn.execute("INSERT INTO digest_runs (id) VALUES ($1)", run_id)


@dataclass(frozen=True)
class RunFigures:
    families: int
    mails: int
    waiting: int


async def finish_run(conn: asyncpg.Connection, run_id: uuid.UUID, waiting: int) -> RunFigures:
    """Close the run with its figures counted in the database, over every pass (before and after a crash)."""
    row = await conn.fetchrow(
        """UPDATE digest_runs SET finished_at = now(), waiting = $2,
               families = (SELECT count(*) FROM (SELECT DISTINCT family_id, structure_id FROM digest_movements
                                                 WHERE digest_run_id = $1) AS done),
               mails = (SELECT count(*) FROM deliveries WHERE digest_run_id = $1)
           WHERE id = $1 RETURNING families, mails, waiting""", run_id, waiting)
    return RunFigures(row["families"], row["mails"], row["waiting"])


async def unfinished_runs(conn: asyncpg.Connection) -> list[uuid.UUID]:
    """Oldest first."""
    return [r["id"] for r in await conn.fetch(
        "SELECT id FROM digest_runs WHERE finished_at IS NULL ORDER BY started_at")]


async def take_over_run(conn: asyncpg.Connection, run_id: uuid.UUID) -> bool:
    """Count a resumption of this run; False when it finished meanwhile."""
    return bool(await conn.fetchval(
        "UPDATE digest_runs SET resumed = resumed + 1 WHERE id = $1 AND finished_at IS NULL RETURNING true", run_id))


@contextlib.asynccontextmanager
async def run_lock(pool: asyncpg.Pool, run_id: uuid.UUID, wait: bool) -> AsyncIterator[bool]:
    """Hold the run's advisory lock on a connection of the pool; yields False when a live process has it."""
    async with pool.acquire() as holder:
        if wait:
            await holder.execute(f"SELECT pg_advisory_lock($1, hashtext($2::text)), {LOCK_HOLDER_KEEPALIVE}",
                                 RUN_LOCK, str(run_id))
            got = True
        else:
            got = await holder.fetchval(f"SELECT pg_try_advisory_lock($1, hashtext($2::text)), {LOCK_HOLDER_KEEPALIVE}",
                                        RUN_LOCK, str(run_id))
        try:
            yield got
        finally:
            if got:
                with contextlib.suppress(OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                    await holder.execute("SELECT pg_advisory_unlock($1, hashtext($2::text))", RUN_LOCK, str(run_id))
