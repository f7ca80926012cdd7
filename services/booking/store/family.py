"""A family's private iCal feed: its token (only the hash is kept) and the accepted bookings it lists."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import date, time

import asyncpg


@dataclass(frozen=True)
class FeedBooking:
    id: uuid.UUID
    day: date
    arrival: time
    departure: time
    activity: str
    first_name: str
    structure: str | None


class FamilyQueries:
    conn: asyncpg.Connection

    async def save_feed_token(self, family_id: uuid.UUID, token_hash: bytes) -> None:
        await self.conn.execute(
            """INSERT INTO feed_tokens (family_id, token_hash) VALUES ($1, $2)
               ON CONFLICT (family_id) DO UPDATE SET token_hash = $2, created_at = now()""", family_id, token_hash)

    async def delete_feed_token(self, family_id: uuid.UUID) -> None:
        await self.conn.execute("DELETE FROM feed_tokens WHERE family_id = $1", family_id)

    async def family_of_feed(self, token_hash: bytes) -> uuid.UUID | None:
        return await self.conn.fetchval("SELECT family_id FROM feed_tokens WHERE token_hash = $1", token_hash)

    async def feed_bookings(self, family_id: uuid.UUID, since: date) -> list[FeedBooking]:
        """The family's accepted bookings from ``since`` on."""
        rows = await self.conn.fetch(
            """SELECT b.id, b.day, coalesce(b.arrival, s.start_time) AS arrival,
                      coalesce(b.departure, s.end_time) AS departure, a.name, c.first_name, st.name AS structure
               FROM bookings b JOIN sessions s ON s.id = b.session_id JOIN activities a ON a.id = b.activity_id
               JOIN children c ON c.id = b.child_id LEFT JOIN structures st ON st.id = a.structure_id
               WHERE b.family_id = $1 AND b.status = 'accepted' AND b.day >= $2
               ORDER BY b.day, arrival""", family_id, since)
        return [FeedBooking(r["id"], r["day"], r["arrival"], r["departure"], r["name"], r["first_name"],
                            r["structure"]) for r in rows]
