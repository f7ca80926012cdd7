"""Requests and their places: taking and freeing a place, recording a booking and its movements, the waiting
list, staff decisions, and the lists that show them (a family's follow-up, staff's figures and requests)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, time

import asyncpg


@dataclass(frozen=True)
class Waitlisted:
    id: uuid.UUID
    family_id: uuid.UUID
    child_id: uuid.UUID
    activity_id: uuid.UUID
    day: date
    arrival: time | None
    departure: time | None


@dataclass(frozen=True)
class Request:
    """A booking as a staff decision sees it."""

    id: uuid.UUID
    family_id: uuid.UUID
    session_id: uuid.UUID
    status: str
    structure_id: uuid.UUID
    waitlist_allowed: bool


@dataclass(frozen=True)
class FollowRow:
    id: uuid.UUID
    day: date
    status: str
    transmitted: bool
    child_id: uuid.UUID
    first_name: str
    last_name: str
    activity_id: uuid.UUID
    activity: str
    arrival: time
    departure: time
    position: int | None
    charged_cents: int | None = None  # what its transmitted acceptance was charged
    reason: str | None = None  # why it was refused (no place left, or staff's reason)
    absence: str | None = None  # a declared absence on it (issue 19): declared, justified…, refused


@dataclass(frozen=True)
class SessionFigures:
    id: uuid.UUID
    day: date
    capacity: int | None
    accepted: int
    waitlisted: int
    pending: int


@dataclass(frozen=True)
class PendingRequest:
    id: uuid.UUID
    day: date
    activity: str
    first_name: str
    last_name: str


FOLLOW_SQL = """
SELECT b.id, b.day, b.status, b.transmitted, b.child_id, c.first_name, c.last_name, a.id AS activity_id,
       a.name AS activity, coalesce(b.arrival, s.start_time) AS arrival, coalesce(b.departure, s.end_time) AS departure,
       CASE WHEN b.status = 'waitlisted' THEN
           (SELECT count(*) FROM bookings w WHERE w.session_id = b.session_id AND w.status = 'waitlisted'
              AND w.request_seq <= b.request_seq) END AS position, b.charged_cents, b.reason, b.absence
FROM bookings b JOIN sessions s ON s.id = b.session_id JOIN activities a ON a.id = b.activity_id
JOIN children c ON c.id = b.child_id
WHERE b.family_id = $1 AND ($2::uuid IS NULL OR b.child_id = $2) AND ($3::uuid IS NULL OR b.activity_id = $3)
  AND ($4::date IS NULL OR b.day >= $4) AND ($5::date IS NULL OR b.day <= $5)
ORDER BY b.day, a.name, c.first_name
"""


class BookingQueries:
    conn: asyncpg.Connection

    async def lock_limited_sessions(self, activity_ids: Sequence[uuid.UUID], days: Sequence[date]) -> int:
        """Lock the sessions with a limited number of places of these (activity, day) pairs, in one global
        order (their id): two baskets never wait on each other in a cycle. Returns the catalog's version
        (migration 019), read in the same round trip, for the caches of what changes rarely."""
        return await self.conn.fetchval(
            """WITH locked AS (
                   SELECT s.id FROM sessions s JOIN unnest($1::uuid[], $2::date[]) AS l(activity_id, day)
                       ON s.activity_id = l.activity_id AND s.day = l.day
                   WHERE s.capacity IS NOT NULL ORDER BY s.id FOR NO KEY UPDATE OF s)
               SELECT version FROM catalog_version WHERE (SELECT count(*) FROM locked) >= 0""",
            list(activity_ids), list(days))

    async def take_place(self, session_id: uuid.UUID) -> bool:
        """Atomically take one place; False when none is left. Unlimited sessions are not locked at all."""
        taken = await self.conn.fetchval(
            """UPDATE sessions SET taken = taken + 1
               WHERE id = $1 AND capacity IS NOT NULL AND taken < capacity RETURNING taken""", session_id)
        if taken is not None:
            return True
        return await self.conn.fetchval("SELECT capacity IS NULL FROM sessions WHERE id = $1", session_id)

    async def release_place(self, session_id: uuid.UUID) -> None:
        await self.conn.execute("UPDATE sessions SET taken = taken - 1 WHERE id = $1", session_id)

    async def lock_booking_status(self, booking_id: uuid.UUID) -> str | None:
        """The latest status of a booking, locked (a promotion or a staff decision may have just changed it)."""
        return await self.conn.fetchval("SELECT status FROM bookings WHERE id = $1 FOR UPDATE", booking_id)

    async def set_status(self, booking_id: uuid.UUID, status: str, reason: str | None = None,
                         keep_reason: bool = True) -> None:
        """A new status (to be transmitted again); the reason is replaced unless ``keep_reason``."""
        if keep_reason:
            await self.conn.execute("UPDATE bookings SET status = $2, changed_at = now(), transmitted = false "
                                    "WHERE id = $1", booking_id, status)
        else:
            await self.conn.execute("UPDATE bookings SET status = $2, reason = $3, changed_at = now(), "
                                    "transmitted = false WHERE id = $1", booking_id, status, reason)

    async def insert_booking(self, booking_id: uuid.UUID, session_id: uuid.UUID, activity_id: uuid.UUID,
                             child_id: uuid.UUID, family_id: uuid.UUID, day: date, arrival: time | None,
                             departure: time | None, status: str, reason: str | None) -> int:
        """Record a request; its place in the waiting-list order."""
        return await self.conn.fetchval(
            """INSERT INTO bookings (id, session_id, activity_id, child_id, family_id, day, arrival, departure,
                                     status, reason)
               VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING request_seq""",
            booking_id, session_id, activity_id, child_id, family_id, day, arrival, departure, status, reason)

    async def record_movement(self, booking_id: uuid.UUID, family_id: uuid.UUID, kind: str, outcome: str) -> None:
        await self.conn.execute("INSERT INTO movements (booking_id, family_id, kind, outcome) VALUES ($1, $2, $3, $4)",
                                booking_id, family_id, kind, outcome)

    async def waitlist_position(self, session_id: uuid.UUID, request_seq: int) -> int:
        """Position on the day's waiting list (the bookings_waitlist index answers it)."""
        return await self.conn.fetchval(
            "SELECT count(*) FROM bookings WHERE session_id = $1 AND status = 'waitlisted' AND request_seq <= $2",
            session_id, request_seq)

    async def first_waitlisted(self, session_id: uuid.UUID) -> Waitlisted | None:
        """The oldest request on the day's waiting list, locked."""
        r = await self.conn.fetchrow(
            """SELECT b.id, b.family_id, b.child_id, b.activity_id, b.day, b.arrival, b.departure
               FROM bookings b WHERE b.session_id = $1 AND b.status = 'waitlisted'
               ORDER BY b.request_seq LIMIT 1 FOR UPDATE""", session_id)
        return None if r is None else Waitlisted(r["id"], r["family_id"], r["child_id"], r["activity_id"], r["day"],
                                                 r["arrival"], r["departure"])

    async def lock_request(self, booking_id: uuid.UUID) -> Request | None:
        """A request and its session, locked: the session first (an InitPlan, run before the booking is read),
        as every path that changes bookings locks them (a basket holds its sessions when it cancels or promotes;
        a decision changes the session's places and waiting list: migration 022). The other order could wait
        in a cycle with a basket cancelling the same request."""
        r = await self.conn.fetchrow(
            """WITH locked AS (
                   SELECT s.id FROM sessions s WHERE s.id = (SELECT session_id FROM bookings WHERE id = $1)
                   FOR NO KEY UPDATE OF s)
               SELECT b.id, b.family_id, b.session_id, b.status, a.structure_id, a.waitlist_allowed
               FROM bookings b JOIN activities a ON a.id = b.activity_id
               WHERE b.id = $1 AND (SELECT count(*) FROM locked) >= 0 FOR UPDATE OF b""",
            booking_id)
        return None if r is None else Request(r["id"], r["family_id"], r["session_id"], r["status"],
                                              r["structure_id"], r["waitlist_allowed"])

    async def follow_up(self, family_id: uuid.UUID, child_id: uuid.UUID | None, activity_id: uuid.UUID | None,
                        start: date | None, end: date | None) -> list[FollowRow]:
        rows = await self.conn.fetch(FOLLOW_SQL, family_id, child_id, activity_id, start, end)
        return [FollowRow(r["id"], r["day"], r["status"], r["transmitted"], r["child_id"], r["first_name"],
                          r["last_name"], r["activity_id"], r["activity"], r["arrival"], r["departure"],
                          r["position"], r["charged_cents"], r["reason"], r["absence"]) for r in rows]

    async def session_figures(self, activity_id: uuid.UUID, start: date, end: date) -> list[SessionFigures]:
        rows = await self.conn.fetch(
            """SELECT s.id, s.day, s.capacity,
                      count(*) FILTER (WHERE b.status = 'accepted') AS accepted,
                      count(*) FILTER (WHERE b.status = 'waitlisted') AS waitlisted,
                      count(*) FILTER (WHERE b.status = 'pending') AS pending
               FROM sessions s LEFT JOIN bookings b ON b.session_id = s.id
               WHERE s.activity_id = $1 AND s.day BETWEEN $2 AND $3 GROUP BY s.id ORDER BY s.day""",
            activity_id, start, end)
        return [SessionFigures(r["id"], r["day"], r["capacity"], r["accepted"], r["waitlisted"], r["pending"])
                for r in rows]

    async def pending_requests(self, structure_id: uuid.UUID) -> list[PendingRequest]:
        rows = await self.conn.fetch(
            """SELECT b.id, b.day, a.name, c.first_name, c.last_name FROM bookings b
               JOIN activities a ON a.id = b.activity_id JOIN children c ON c.id = b.child_id
               WHERE a.structure_id = $1 AND b.status = 'pending' ORDER BY b.day, b.request_seq""", structure_id)
        return [PendingRequest(r["id"], r["day"], r["name"], r["first_name"], r["last_name"]) for r in rows]
