"""Recording a basket and answering requests: everything is checked again under lock; a place is held at
confirmation; when the last place is gone the request goes on the waiting list (if allowed) or is refused
(domain.states.request_outcome, the one ladder). Two parents can never get the same last place: the place is
taken by one conditional UPDATE on the session row. A freed place goes to the waiting list at once."""

from __future__ import annotations

import uuid
from dataclasses import dataclass
from datetime import datetime

from contracts.booking import BookingWaitlistPromotedV1, BookingWaitlistPromotedV2
from contracts.errors import Conflict, Invalid
from kit.identity import Identity
from kit.metrics import BOOKINGS
from services.booking import access
from services.booking.domain.basket import Line, plan
from services.booking.domain.sessions import SessionView, view_of
from services.booking.domain.states import BookingStatus, request_outcome
from services.booking.service import OUTBOX


@dataclass(frozen=True)
class LineResult:
    line: Line
    outcome: str            # accepted | waitlisted | refused | pending | cancelled | rejected
    reason: str | None = None
    booking_id: uuid.UUID | None = None
    waitlist_position: int | None = None
    activity_name: str | None = None


async def load_views(store, lines: list[Line], now: datetime) -> dict[tuple, SessionView]:
    """The sessions the lines name, as each child sees them at ``now``."""
    views: dict[tuple, SessionView] = {}
    for child_id in {line.child_id for line in lines}:
        days = [line.date for line in lines if line.child_id == child_id]
        for row in await store.sessions_for_child(child_id, min(days), max(days)):
            view = view_of(row, now)
            views[(child_id, view.activity.id, view.day)] = view
    return views


class EmptyBasket(Invalid):
    title = "Panier vide"


async def confirm(db, who: Identity, lines: list[Line], now: datetime, outbox=OUTBOX) -> list[LineResult]:
    """Record the family's basket in one transaction: cancellations, then reservations, each answered."""
    family_id = access.require_family(who)
    if not lines:
        raise EmptyBasket("Aucune réservation ni annulation à valider.")
    results: list[LineResult] = []
    async with db.transaction() as store:
        # One family's confirmations run one at a time (two tabs cannot book the same day twice).
        await access.require_own_children(store, who, {line.child_id for line in lines}, lock=True)
        # Sessions with a limited number of places are locked first, in one global order: the places
        # read below stay true.
        await store.lock_limited_sessions([line.activity_id for line in lines], [line.date for line in lines])
        views = await load_views(store, lines, now)
        declared = await store.declared_incompatibilities({line.activity_id for line in lines})
        freed: list[uuid.UUID] = []
        for line, view, check in plan(lines, views, declared):
            name = view.activity.name if view else None
            if not check.ok:
                results.append(LineResult(line, "rejected", check.reason, activity_name=name))
            elif line.action == "cancel":
                if await cancel(store, view, family_id):
                    freed.append(view.session_id)
                results.append(LineResult(line, "cancelled", booking_id=view.booking_id, activity_name=name))
            else:
                results.append(await reserve(store, line, view, family_id))
        for session_id in freed:
            await promote_waitlist(store, session_id, now, outbox)
    for result in results:
        BOOKINGS.labels(result.outcome).inc()
    return results


async def cancel(store, view: SessionView, family_id: uuid.UUID) -> bool:
    """Cancel the child's booking of the day; True when it freed a counted place."""
    was = await store.lock_booking_status(view.booking_id)
    await store.set_status(view.booking_id, "cancelled")
    await store.record_movement(view.booking_id, family_id, "cancel", "cancelled")
    if was == BookingStatus.ACCEPTED and view.capacity is not None:
        await store.release_place(view.session_id)
        return True
    return False


async def reserve(store, line: Line, view: SessionView, family_id: uuid.UUID) -> LineResult:
    """Ask for the day: a staff decision when the activity needs one, else the ladder."""
    if view.activity.needs_approval:
        outcome, reason = BookingStatus.PENDING, None
    else:
        place = view.capacity is None or await store.take_place(view.session_id)
        outcome, reason = request_outcome(place, view.activity.waitlist_allowed)
    booking_id = uuid.uuid4()
    times = view.activity.kind == "time_entry"
    request_seq = await store.insert_booking(
        booking_id, view.session_id, view.activity.id, line.child_id, family_id, line.date,
        line.arrival if times else None, line.departure if times else None, outcome.value, reason)
    await store.record_movement(booking_id, family_id, "reserve", outcome.value)
    position = (await store.waitlist_position(view.session_id, request_seq)
                if outcome == BookingStatus.WAITLISTED else None)
    return LineResult(line, outcome.value, reason, booking_id, position, view.activity.name)


async def promote_waitlist(store, session_id: uuid.UUID, now: datetime, outbox=OUTBOX) -> int:
    """Give freed places to the waiting list, first requested first. Returns how many were promoted."""
    promoted = 0
    while True:
        waiting = await store.first_waitlisted(session_id)
        if waiting is None or not await store.take_place(session_id):
            return promoted
        await store.set_status(waiting.id, "accepted")
        await store.record_movement(waiting.id, waiting.family_id, "reserve", "accepted")
        child = (await store.children_by_id([waiting.child_id]))[waiting.child_id]
        activity = await store.activity_brief(waiting.activity_id)
        private = BookingWaitlistPromotedV1(
            booking_id=waiting.id, family_id=waiting.family_id, structure_id=activity.structure_id,
            child_id=waiting.child_id, child_first_name=child.first_name, child_last_name=child.last_name,
            activity_id=waiting.activity_id, activity_name=activity.name, date=waiting.day,
            arrival=waiting.arrival, departure=waiting.departure, promoted_at=now)
        await outbox.add(store.conn, private)  # the child's name, for the family's mail
        await outbox.add(store.conn, BookingWaitlistPromotedV2.of(private))
        promoted += 1


async def decide(db, who: Identity, booking_id: uuid.UUID, accept: bool, reason: str | None) -> str:
    """Staff accept or refuse a request waiting for their decision ("En attente réponse"); a request of a
    structure they do not manage is not found (access.require_decision)."""
    access.require_staff(who)
    async with db.transaction() as store:
        request = await store.lock_request(booking_id)
        access.require_decision(who, request.structure_id if request else None)
        if request.status != BookingStatus.PENDING:
            raise Conflict("Cette demande a déjà reçu une réponse.")
        if accept:
            outcome, reason = request_outcome(await store.take_place(request.session_id), request.waitlist_allowed)
        else:
            outcome = BookingStatus.REFUSED
        await store.set_status(booking_id, outcome.value, reason, keep_reason=False)
        await store.record_movement(booking_id, request.family_id, "reserve", outcome.value)
        return outcome.value
