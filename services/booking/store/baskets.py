"""A basket recorded set-based: every reservation of the basket locked, decided, inserted with its movement and
its places counted in one statement; its cancellations in another; the waiting lists its freed places promote
in a third. The sessions with limited places are locked before any count is read (by RESERVE_SQL itself, in id
order; before the cancellations by BookingQueries.lock_limited_sessions), so the counts each statement reads
stay true until commit. The decision in RESERVE_SQL is domain.places.decide_reservations written as SQL; the
service compares the two on every basket."""

from __future__ import annotations

import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import date, time

import asyncpg

from services.booking.domain.places import Place
from services.booking.domain.states import NO_PLACE_LEFT


@dataclass(frozen=True)
class NewBooking:
    """A reservation to record, in the basket's recording order."""

    booking_id: uuid.UUID
    session_id: uuid.UUID
    activity_id: uuid.UUID
    child_id: uuid.UUID
    day: date
    arrival: time | None
    departure: time | None


@dataclass(frozen=True)
class Recorded:
    """What the statement decided for one reservation, and the locked facts it decided from."""

    booking_id: uuid.UUID
    status: str
    position: int | None
    place: Place


@dataclass(frozen=True)
class Promoted:
    id: uuid.UUID
    family_id: uuid.UUID
    child_id: uuid.UUID
    activity_id: uuid.UUID
    day: date
    arrival: time | None
    departure: time | None
    first_name: str
    last_name: str
    activity_name: str
    structure_id: uuid.UUID


# The sessions with limited places are locked first (lk: in id order, as every other path locks them; rows the
# transaction holds already are not waited for), in this same statement: the basket holds them for this one
# statement and its commit only, with no round trip to the service in between. Their places are read from the
# locked rows (their latest version, whoever committed while this statement waited), and so are their waiting
# lists' lengths (`waiting`, kept by bookings' triggers, migration 022): nothing is counted under the locks.
# Lines in order (n); k = the line's rank among the basket's lines of its session. As if recorded one after
# the other: a line is accepted while taken + k <= capacity, then waits behind the `waiting` requests
# already on the list and the basket's earlier waiting lines (position = waiting + k - free places).
# The movements come from the inserted rows in line order (request_seq follows n), not from a join of the
# lines with them: the statement runs under the sessions' locks, where every tenth of a millisecond counts.
RESERVE_SQL = """
WITH l AS (
    SELECT * FROM unnest($2::uuid[], $3::uuid[], $4::uuid[], $5::uuid[], $6::date[], $7::time[], $8::time[])
           WITH ORDINALITY AS l(booking_id, session_id, activity_id, child_id, day, arrival, departure, n)),
lk AS (
    SELECT s.id, s.capacity, s.taken, s.waiting FROM sessions s
    WHERE s.id = ANY($3::uuid[]) AND s.capacity IS NOT NULL ORDER BY s.id FOR NO KEY UPDATE OF s),
f AS (
    SELECT s.id, lk.capacity, coalesce(lk.taken, s.taken) AS taken, a.waitlist_allowed, a.needs_approval,
           coalesce(lk.waiting, 0) AS waiting
    FROM sessions s JOIN activities a ON a.id = s.activity_id LEFT JOIN lk ON lk.id = s.id
    WHERE s.id = ANY($3::uuid[])),
k AS (
    SELECT l.*, f.capacity, f.taken, f.waiting, f.waitlist_allowed, f.needs_approval,
           row_number() OVER (PARTITION BY l.session_id ORDER BY l.n) AS k
    FROM l JOIN f ON f.id = l.session_id),
d AS (
    SELECT k.*, CASE WHEN needs_approval THEN 'pending'
                     WHEN capacity IS NULL OR taken + k <= capacity THEN 'accepted'
                     WHEN waitlist_allowed THEN 'waitlisted'
                     ELSE 'refused' END AS status
    FROM k),
u AS (
    UPDATE sessions x SET taken = x.taken + c.n
    FROM (SELECT session_id, count(*) AS n FROM d WHERE status = 'accepted' AND capacity IS NOT NULL
          GROUP BY session_id) c
    WHERE x.id = c.session_id),
b AS (
    INSERT INTO bookings (id, session_id, activity_id, child_id, family_id, day, arrival, departure, status, reason)
    SELECT booking_id, session_id, activity_id, child_id, $1, day, arrival, departure, status,
           CASE WHEN status = 'refused' THEN $9 END
    FROM d ORDER BY n
    RETURNING id, status, request_seq),
m AS (
    INSERT INTO movements (booking_id, family_id, kind, outcome)
    SELECT id, $1, 'reserve', status FROM b ORDER BY request_seq)
SELECT booking_id, status, capacity, taken, waiting, waitlist_allowed, needs_approval,
       CASE WHEN status = 'waitlisted' THEN waiting + k - greatest(capacity - taken, 0) END AS position
FROM d ORDER BY n
"""

CANCEL_SQL = """
WITH o AS (
    SELECT b.id, b.status, b.session_id, s.capacity FROM bookings b JOIN sessions s ON s.id = b.session_id
    WHERE b.id = ANY($2::uuid[]) AND b.family_id = $1 AND b.status <> 'cancelled'
    FOR UPDATE OF b),
c AS (
    UPDATE bookings x SET status = 'cancelled', changed_at = now(), transmitted = false
    FROM o WHERE x.id = o.id RETURNING x.id),
m AS (
    INSERT INTO movements (booking_id, family_id, kind, outcome)
    SELECT c.id, $1, 'cancel', 'cancelled'
    FROM c JOIN unnest($2::uuid[]) WITH ORDINALITY AS q(id, n) ON q.id = c.id ORDER BY q.n),
r AS (
    UPDATE sessions s SET taken = s.taken - f.n
    FROM (SELECT session_id, count(*) AS n FROM o WHERE status = 'accepted' AND capacity IS NOT NULL
          GROUP BY session_id) f
    WHERE s.id = f.session_id RETURNING s.id)
SELECT id FROM r
"""

# the first `n` requests of each session's waiting list (request order) accepted, their places counted
PROMOTE_SQL = """
WITH q AS (SELECT * FROM unnest($1::uuid[], $2::int[]) AS q(session_id, n)),
w AS (
    SELECT b.id, b.session_id, row_number() OVER (PARTITION BY b.session_id ORDER BY b.request_seq) AS k
    FROM bookings b WHERE b.session_id IN (SELECT session_id FROM q) AND b.status = 'waitlisted'),
p AS (
    UPDATE bookings x SET status = 'accepted', changed_at = now(), transmitted = false
    FROM w JOIN q ON q.session_id = w.session_id
    WHERE x.id = w.id AND w.k <= q.n AND x.status = 'waitlisted'
    RETURNING x.id, x.session_id, x.family_id, x.child_id, x.activity_id, x.day, x.arrival, x.departure,
              x.request_seq),
u AS (
    UPDATE sessions s SET taken = s.taken + c.n
    FROM (SELECT session_id, count(*) AS n FROM p GROUP BY session_id) c
    WHERE s.id = c.session_id AND s.capacity IS NOT NULL),
m AS (
    INSERT INTO movements (booking_id, family_id, kind, outcome)
    SELECT id, family_id, 'reserve', 'accepted' FROM p ORDER BY request_seq)
SELECT p.id, p.family_id, p.child_id, p.activity_id, p.day, p.arrival, p.departure, c.first_name, c.last_name,
       a.name AS activity_name, a.structure_id
FROM p JOIN children c ON c.id = p.child_id JOIN activities a ON a.id = p.activity_id
ORDER BY p.request_seq
"""


class BasketQueries:
    conn: asyncpg.Connection

    async def record_reservations(self, family_id: uuid.UUID, lines: Sequence[NewBooking]) -> list[Recorded]:
        """Lock the sessions, then decide, insert and count every reservation of a basket, in one statement."""
        if not lines:
            return []
        rows = await self.conn.fetch(
            RESERVE_SQL, family_id, [x.booking_id for x in lines], [x.session_id for x in lines],
            [x.activity_id for x in lines], [x.child_id for x in lines], [x.day for x in lines],
            [x.arrival for x in lines], [x.departure for x in lines], NO_PLACE_LEFT)
        return [Recorded(r["booking_id"], r["status"], r["position"],
                         Place(r["capacity"], r["taken"], r["waiting"], r["waitlist_allowed"], r["needs_approval"]))
                for r in rows]

    async def cancel_bookings(self, family_id: uuid.UUID, booking_ids: Sequence[uuid.UUID]) -> list[uuid.UUID]:
        """Cancel the family's bookings, one movement each; the sessions where a counted place was freed."""
        if not booking_ids:
            return []
        return [r["id"] for r in await self.conn.fetch(CANCEL_SQL, family_id, list(booking_ids))]

    async def lock_places(self, session_ids: Collection[uuid.UUID]) -> dict[uuid.UUID, Place]:
        """The places of sessions, locked in id order, with the length of their waiting lists."""
        rows = await self.conn.fetch(
            """SELECT s.id, s.capacity, s.taken, a.waitlist_allowed, a.needs_approval, s.waiting
               FROM sessions s JOIN activities a ON a.id = s.activity_id
               WHERE s.id = ANY($1::uuid[]) ORDER BY s.id FOR NO KEY UPDATE OF s""", list(session_ids))
        return {r["id"]: Place(r["capacity"], r["taken"], r["waiting"], r["waitlist_allowed"], r["needs_approval"])
                for r in rows}

    async def promote_waitlisted(self, counts: dict[uuid.UUID, int]) -> list[Promoted]:
        """Accept the first `n` waiting requests of each session (request order), their places counted."""
        wanted = {s: n for s, n in counts.items() if n > 0}
        if not wanted:
            return []
        rows = await self.conn.fetch(PROMOTE_SQL, list(wanted), list(wanted.values()))
        return [Promoted(r["id"], r["family_id"], r["child_id"], r["activity_id"], r["day"], r["arrival"],
                         r["departure"], r["first_name"], r["last_name"], r["activity_name"], r["structure_id"])
                for r in rows]
