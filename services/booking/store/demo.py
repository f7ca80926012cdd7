"""The few reads only the demo data need (services/booking/demo.py): a demo child found by name in booking's
projection, whether it already has bookings on some days, and an activity's sessions of a period."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg


async def child_named(conn: asyncpg.Connection, first_name: str, last_name: str,
                      birth_date: date) -> tuple[uuid.UUID, uuid.UUID] | None:
    """(child id, family id) of the child projected from auth, or None while auth's event has not arrived."""
    r = await conn.fetchrow("SELECT id, family_id FROM children WHERE first_name = $1 AND last_name = $2 "
                            "AND birth_date = $3", first_name, last_name, birth_date)
    return None if r is None else (r["id"], r["family_id"])


async def has_bookings(conn: asyncpg.Connection, child_id: uuid.UUID, start: date, end: date) -> bool:
    return await conn.fetchval("SELECT EXISTS (SELECT 1 FROM bookings WHERE child_id = $1 AND day BETWEEN $2 AND $3)",
                               child_id, start, end)


async def sessions_between(conn: asyncpg.Connection, activity_id: uuid.UUID, start: date,
                           end: date) -> list[tuple[uuid.UUID, date]]:
    rows = await conn.fetch("SELECT id, day FROM sessions WHERE activity_id = $1 AND day BETWEEN $2 AND $3 "
                            "ORDER BY day", activity_id, start, end)
    return [(r["id"], r["day"]) for r in rows]
