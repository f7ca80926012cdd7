"""Mass closures (strike, weather, a closed school) as transaction scripts: staff of the structure close an
activity or the whole structure for a day or a range (every booking on those days cancelled, the waiting lists
cleared, one notice per family for its mail, a public event for other systems), list them, and re-open one
before its first day. The cancellations go out in the night's transmission: billing removes or credits their
charges there, as for any cancellation."""

from __future__ import annotations

import uuid
from datetime import date, datetime

from contracts.api.closures import MassClosureIn
from contracts.closures import BookingClosedV1, BookingReopenedV1
from contracts.errors import NotFound
from kit.clock import paris_today
from kit.identity import Identity
from services.booking import access
from services.booking.domain import closures as rules
from services.booking.service import OUTBOX
from services.booking.store.closures import Closure

CLOSURE_NOT_FOUND = "Fermeture introuvable."


async def close(db, who: Identity, structure_id: uuid.UUID, body: MassClosureIn, now: datetime,
                outbox=OUTBOX) -> tuple[uuid.UUID, int]:
    """Close and cancel; the closure's id and how many bookings it cancelled."""
    access.require_manages(who, structure_id)
    rules.check_range(body.start, body.end)
    label = body.label.strip()
    closure_id = uuid.uuid4()
    async with db.transaction() as store:
        if body.activity_id and await access.require_activity(store, who, body.activity_id) != structure_id:
            raise NotFound(access.ACTIVITY_NOT_FOUND)
        cancelled = await store.close_days(closure_id, structure_id, body.activity_id, body.start, body.end, label,
                                           rules.reason(label), now)
        name = await store.structure_name(structure_id)
        await outbox.add(store.conn, BookingClosedV1(
            closure_id=closure_id, structure_id=structure_id, structure_name=name, activity_id=body.activity_id,
            start=body.start, end=body.end, label=label, closed_at=now,
            cancelled_booking_ids=[c.booking_id for c in cancelled]))
        notices = rules.notices(closure_id, structure_id, name, label, cancelled)
        if notices:
            await outbox.add_many(store.conn, notices)
    return closure_id, len(cancelled)


async def list_closures(db, who: Identity, structure_id: uuid.UUID, today: date) -> list[Closure]:
    access.require_manages(who, structure_id)
    async with db.reading() as store:
        return await store.closures_of(structure_id, today)


async def reopen(db, who: Identity, closure_id: uuid.UUID, now: datetime, outbox=OUTBOX) -> None:
    """Withdraw a mass closure before its first day: its days open again for booking."""
    async with db.transaction() as store:
        found = await store.closure(closure_id)
        if found is None or not found.cancels_bookings or not access.manages(who, found.structure_id):
            raise NotFound(CLOSURE_NOT_FOUND)
        rules.require_reopenable(found.start, found.reopened, paris_today(now))
        await store.reopen_closure(closure_id, now)
        await outbox.add(store.conn, BookingReopenedV1(
            closure_id=closure_id, structure_id=found.structure_id, activity_id=found.activity_id,
            start=found.start, end=found.end, reopened_at=now))
