"""Recording a basket: everything is checked again under lock; a place is held at confirmation; when
the last place is gone the request goes on the waiting list (if allowed) or is refused. Two parents
can never get the same last place: the place is taken by one conditional UPDATE on the session row."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

import asyncpg

from contracts.booking import BookingWaitlistPromotedV1, BookingWaitlistPromotedV2
from kit import outbox
from kit.clock import utc_now
from kit.identity import Identity
from kit.metrics import BOOKINGS
from services.booking import access
from services.booking.basket import Line, plan
from services.booking.facts import SessionView, declared_incompatibilities, sessions_for_child


class NotYourChild(Exception):
    pass


@dataclass(frozen=True)
class LineResult:
    line: Line
    outcome: str            # accepted | waitlisted | refused | pending | cancelled | rejected
    reason: str | None = None
    booking_id: uuid.UUID | None = None
    waitlist_position: int | None = None
    activity_name: str | None = None


async def load_views(conn, lines: list[Line], now: datetime) -> dict[tuple, SessionView]:
    views: dict[tuple, SessionView] = {}
    for child_id in {line.child_id for line in lines}:
        days = [line.date for line in lines if line.child_id == child_id]
        for view in await sessions_for_child(conn, child_id, min(days), max(days), now):
            views[(child_id, view.activity.id, view.day)] = view
    return views


async def check_children(conn, family_id: uuid.UUID, child_ids, lock: bool = False) -> None:
    rows = await conn.fetch(
        "SELECT id FROM children WHERE family_id = $1 AND id = ANY($2::uuid[])" + (" FOR UPDATE" if lock else ""),
        family_id, list(child_ids))
    if len(rows) != len(set(child_ids)):
        raise NotYourChild()


async def take_place(conn, session_id: uuid.UUID) -> bool:
    """Atomically take one place; False when none is left. Unlimited sessions are not locked at all."""
    taken = await conn.fetchval(
        """UPDATE sessions SET taken = taken + 1
           WHERE id = $1 AND capacity IS NOT NULL AND taken < capacity RETURNING taken""", session_id)
    if taken is not None:
        return True
    return await conn.fetchval("SELECT capacity IS NULL FROM sessions WHERE id = $1", session_id)


async def waitlist_position(conn, session_id: uuid.UUID, request_seq: int) -> int:
    """Position on the day's waiting list (the bookings_waitlist index answers it)."""
    return await conn.fetchval(
        "SELECT count(*) FROM bookings WHERE session_id = $1 AND status = 'waitlisted' AND request_seq <= $2",
        session_id, request_seq)


async def record_movement(conn, booking_id, family_id, kind: str, outcome: str) -> None:
    await conn.execute("INSERT INTO movements (booking_id, family_id, kind, outcome) VALUES ($1, $2, $3, $4)",
                       booking_id, family_id, kind, outcome)


async def confirm(pool: asyncpg.Pool, family_id: uuid.UUID, lines: list[Line], now: datetime) -> list[LineResult]:
    results: list[LineResult] = []
    async with pool.acquire() as conn, conn.transaction():
        # One family's confirmations run one at a time (two tabs cannot book the same day twice).
        await check_children(conn, family_id, {line.child_id for line in lines}, lock=True)
        # Sessions with a limited number of places are locked first, in one global order (their id):
        # two baskets never wait on each other in a cycle, and the places read below stay true.
        await conn.execute(
            """SELECT 1 FROM sessions s JOIN unnest($1::uuid[], $2::date[]) AS l(activity_id, day)
                   ON s.activity_id = l.activity_id AND s.day = l.day
               WHERE s.capacity IS NOT NULL ORDER BY s.id FOR NO KEY UPDATE OF s""",
            [line.activity_id for line in lines], [line.date for line in lines])
        views = await load_views(conn, lines, now)
        declared = await declared_incompatibilities(conn, {line.activity_id for line in lines})
        freed: list[uuid.UUID] = []
        for line, view, check in plan(lines, views, declared):
            name = view.activity.name if view else None
            if not check.ok:
                results.append(LineResult(line, "rejected", check.reason, activity_name=name))
                continue
            if line.action == "cancel":
                # the latest status, locked (a promotion or a staff decision may have just changed it)
                was = await conn.fetchval("SELECT status FROM bookings WHERE id = $1 FOR UPDATE", view.booking_id)
                await conn.execute("UPDATE bookings SET status = 'cancelled', changed_at = now(), transmitted = false "
                                   "WHERE id = $1", view.booking_id)
                await record_movement(conn, view.booking_id, family_id, "cancel", "cancelled")
                if was == "accepted" and view.capacity is not None:
                    await conn.execute("UPDATE sessions SET taken = taken - 1 WHERE id = $1", view.session_id)
                    freed.append(view.session_id)
                results.append(LineResult(line, "cancelled", booking_id=view.booking_id, activity_name=name))
                continue
            if view.activity.needs_approval:
                outcome, reason = "pending", None
            elif view.capacity is None or await take_place(conn, view.session_id):
                outcome, reason = "accepted", None
            elif view.activity.waitlist_allowed:
                outcome, reason = "waitlisted", None
            else:
                outcome, reason = "refused", "plus de place disponible"
            booking_id = uuid.uuid4()
            arrival = line.arrival if view.activity.kind == "time_entry" else None
            departure = line.departure if view.activity.kind == "time_entry" else None
            request_seq = await conn.fetchval(
                """INSERT INTO bookings (id, session_id, activity_id, child_id, family_id, day, arrival, departure,
                                         status, reason)
                   VALUES ($1, $2, $3, $4, $5, $6, $7, $8, $9, $10) RETURNING request_seq""",
                booking_id, view.session_id, view.activity.id, line.child_id, family_id, line.date, arrival,
                departure, outcome, reason)
            await record_movement(conn, booking_id, family_id, "reserve", outcome)
            position = (await waitlist_position(conn, view.session_id, request_seq)
                        if outcome == "waitlisted" else None)
            results.append(LineResult(line, outcome, reason, booking_id, position, name))
        for session_id in freed:
            await promote_waitlist(conn, session_id)
    for result in results:
        BOOKINGS.labels(result.outcome).inc()
    return results


async def promote_waitlist(conn, session_id: uuid.UUID, now: datetime | None = None) -> int:
    """Give freed places to the waiting list, first requested first. Returns how many were promoted."""
    promoted = 0
    while True:
        row = await conn.fetchrow(
            """SELECT b.id, b.family_id, b.child_id, b.activity_id, b.day, b.arrival, b.departure
               FROM bookings b WHERE b.session_id = $1 AND b.status = 'waitlisted'
               ORDER BY b.request_seq LIMIT 1 FOR UPDATE""", session_id)
        if row is None or not await take_place(conn, session_id):
            return promoted
        await conn.execute("UPDATE bookings SET status = 'accepted', changed_at = now(), transmitted = false "
                           "WHERE id = $1", row["id"])
        await record_movement(conn, row["id"], row["family_id"], "reserve", "accepted")
        info = await conn.fetchrow(
            """SELECT c.first_name, c.last_name, a.name, a.structure_id FROM children c, activities a
               WHERE c.id = $1 AND a.id = $2""", row["child_id"], row["activity_id"])
        private = BookingWaitlistPromotedV1(
            booking_id=row["id"], family_id=row["family_id"], structure_id=info["structure_id"],
            child_id=row["child_id"], child_first_name=info["first_name"], child_last_name=info["last_name"],
            activity_id=row["activity_id"], activity_name=info["name"], date=row["day"], arrival=row["arrival"],
            departure=row["departure"], promoted_at=now or utc_now())
        await outbox.add(conn, private, producer="booking")  # the child's name, for the family's mail
        await outbox.add(conn, BookingWaitlistPromotedV2.of(private), producer="booking")
        promoted += 1


async def decide(pool: asyncpg.Pool, booking_id: uuid.UUID, accept: bool, reason: str | None, who: Identity) -> str:
    """Staff accept or refuse a request waiting for their decision ("En attente réponse"); a request of a
    structure they do not manage (services/booking/access.py) is not found."""
    async with pool.acquire() as conn, conn.transaction():
        row = await conn.fetchrow(
            """SELECT b.id, b.family_id, b.session_id, b.status, a.structure_id, a.waitlist_allowed
               FROM bookings b JOIN activities a ON a.id = b.activity_id WHERE b.id = $1 FOR UPDATE OF b""",
            booking_id)
        if row is None or not access.manages(who, row["structure_id"]):
            raise LookupError("demande introuvable")
        if row["status"] != "pending":
            raise ValueError("cette demande a déjà reçu une réponse")
        if not accept:
            outcome = "refused"
        elif await take_place(conn, row["session_id"]):
            outcome, reason = "accepted", None
        elif row["waitlist_allowed"]:
            outcome, reason = "waitlisted", None
        else:
            outcome, reason = "refused", "plus de place disponible"
        await conn.execute("UPDATE bookings SET status = $2, reason = $3, changed_at = now(), transmitted = false "
                           "WHERE id = $1", booking_id, outcome, reason)
        await record_movement(conn, booking_id, row["family_id"], "reserve", outcome)
        return outcome


