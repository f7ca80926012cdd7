"""The SQL of the campaign's closing day (issue 19): set by an administrator, read by the reminders' run with
the structures whose families it walks."""

from __future__ import annotations

import uuid
from datetime import date

import asyncpg


class ClosingQueries:
    conn: asyncpg.Connection

    async def set_campaign_closing(self, school_year: str, closes_on: date | None) -> bool:
        """False when there is no campaign of that school year."""
        return bool(await self.conn.fetchval(
            "UPDATE campaigns SET closes_on = $2 WHERE school_year = $1 RETURNING true", school_year, closes_on))

    async def current_campaign_closing(self) -> tuple[uuid.UUID, str, date | None] | None:
        """The current campaign (the latest opened): its id, school year and closing day."""
        row = await self.conn.fetchrow(
            "SELECT id, school_year, closes_on FROM campaigns ORDER BY opened_at DESC LIMIT 1")
        return (row["id"], row["school_year"], row["closes_on"]) if row else None

    async def all_structures(self) -> list[tuple[uuid.UUID, str]]:
        return [(r["id"], r["name"]) for r in await self.conn.fetch("SELECT id, name FROM structures ORDER BY name")]
