"""The one read only the demo data need (services/billing/demo.py): whether consumption lines of some days
have been recorded yet."""

from __future__ import annotations

from datetime import date

import asyncpg


async def has_consumptions(conn: asyncpg.Connection, start: date, end: date) -> bool:
    return await conn.fetchval("SELECT EXISTS (SELECT 1 FROM consumptions WHERE day BETWEEN $1 AND $2)", start, end)
