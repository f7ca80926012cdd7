"""A family's bookings of a month, as staff see them on the family's page (their structures' activities)."""

from __future__ import annotations

import uuid

from contracts.errors import Invalid
from kit.identity import Identity
from services.booking import access
from services.booking.domain.followup import state_label
from services.booking.domain.sessions import month_days
from services.booking.store.family_month import MonthBooking


async def family_month(db, who: Identity, family_id: uuid.UUID, month: str) -> list[tuple[MonthBooking, str]]:
    """Each booking of the month with the state the family's follow-up tells it in."""
    access.require_staff(who)
    try:
        days = month_days(month)
    except ValueError as exc:
        raise Invalid(f"Mois : {exc}.") from None
    async with db.reading() as store:
        structures = access.family_bookings_scope(who, await store.family_structures(family_id))
        rows = await store.family_month(family_id, days[0], days[-1], structures)
    return [(r, state_label(r.status, r.transmitted, r.position)) for r in rows]
