"""Consumption lines: recorded from booking's transmissions (a charge per accepted booking, a removal or a
credit per cancellation), repaired from a republished booking state, and read back as a family's
monthly history."""

from __future__ import annotations

import uuid
from dataclasses import dataclass, field
from datetime import date

from contracts.booking import BookingStateV1, BookingTransmittedV1
from kit.identity import Identity
from kit.logging import get_logger
from services.billing import access
from services.billing.domain import consumptions as rules
from services.billing.domain import periods
from services.billing.domain.errors import BadRequest, InvalidMonth
from services.billing.service import Outbox
from services.billing.store import Store, Tx

log = get_logger(__name__)


async def record_transmission(tx: Tx, outbox: Outbox, event: BookingTransmittedV1, event_id: uuid.UUID) -> None:
    """Accepted → a consumption line at the price the line carries (else priced with the tariff of the day,
    the family's quotient and the child's rank); cancelled → the line removed, or credited if already
    invoiced; waiting list, refusal → nothing to pay. A transmission received twice records nothing twice."""
    await tx.record_movements(event_id, [
        (line.booking_id, event.transmission_id, event.family_id, event.structure_id, line.child_id,
         line.activity_id, line.activity_name, line.date, line.kind, line.outcome) for line in event.lines])
    quotient = await tx.quotient(event.family_id)
    ranks = rules.ranks(await tx.children_of(event.family_id))
    versions: dict[uuid.UUID, list] = {}
    for line in event.lines:
        if rules.is_charged(line.kind, line.outcome):
            if line.activity_id not in versions:
                versions[line.activity_id] = await tx.tariff_versions(event.structure_id, line.activity_id)
            booked = booked_line(event, line)
            charge, priced = rules.charge(booked, uuid.uuid4(), versions[line.activity_id], quotient,
                                          ranks.get(line.child_id, 1))
            if not priced:
                log.warning("no tariff for this day: recorded at 0 until staff set one",
                            activity_id=str(line.activity_id), day=line.date.isoformat())
            if await tx.insert_charge(charge, event_id):
                await outbox.add(tx.conn, rules.recorded(charge))
        elif line.kind == "cancel":
            await cancel(tx, outbox, line.booking_id, event_id)
    await settle_justified(tx, outbox, [line.booking_id for line in event.lines
                                        if rules.is_charged(line.kind, line.outcome)], event_id)


def booked_line(event: BookingTransmittedV1, line) -> rules.Booked:
    """A transmitted line as billing prices it (one by one here, in batches in consumption_batches.py)."""
    return rules.Booked(
        booking_id=line.booking_id, family_id=event.family_id, structure_id=event.structure_id,
        child_id=line.child_id, first_name=line.child_first_name, last_name=line.child_last_name,
        activity_id=line.activity_id, activity_name=line.activity_name, day=line.date,
        arrival=line.arrival, departure=line.departure, price=rules.carried(line))


async def cancel(tx: Tx, outbox: Outbox, booking_id: uuid.UUID, event_id: uuid.UUID) -> None:
    """A cancelled booking: its charge goes away if not invoiced yet (other systems are told by a credit of
    the same amount), else it is credited once."""
    charge = await tx.charge_for_update(booking_id)
    if charge is None:
        return
    if charge.invoice_id is None:
        await tx.delete_consumption(charge.id)
        await outbox.add(tx.conn, rules.recorded(rules.credit(charge, rules.removal_notice_id(charge.id))))
        return
    credit = rules.credit(charge, uuid.uuid4())
    if await tx.insert_credit(credit, event_id):
        await outbox.add(tx.conn, rules.recorded(credit))


async def settle_justified(tx: Tx, outbox: Outbox, booking_ids: list[uuid.UUID], event_id: uuid.UUID) -> None:
    """Issue 19: the charges of these bookings that a justified absence says are not due (billing was told by
    booking.absence_justified, before or after the charge came) go as a cancellation's would."""
    for booking_id in await tx.justified_not_charged(booking_ids):
        await cancel(tx, outbox, booking_id, event_id)


async def repair(tx: Tx, outbox: Outbox, state: BookingStateV1, event_id: uuid.UUID) -> None:
    """A booking's state republished by booking (resync): accepted and not charged → the line the
    transmission would have recorded; not accepted and still charged → cancelled as a transmitted
    cancellation would; otherwise nothing changes. Under the freshness rule of every projection."""
    if not await tx.claim("bookings", state.booking_id, state.updated_at, state.structure_id):
        return
    standing = await tx.standing_charge(state.booking_id)
    if state.status != "accepted":
        if standing is not None:
            log.warning("resync: charge of a booking no longer accepted, cancelled", booking_id=str(state.booking_id))
            await cancel(tx, outbox, state.booking_id, event_id)
        return
    if standing is not None:
        return
    child = await tx.child(state.child_id)
    booked = rules.Booked(
        booking_id=state.booking_id, family_id=state.family_id, structure_id=state.structure_id,
        child_id=state.child_id, first_name=child.first_name if child else "",
        last_name=child.last_name if child else "", activity_id=state.activity_id,
        activity_name=state.activity_name, day=state.date, arrival=state.arrival, departure=state.departure,
        price=rules.carried(state))
    ranks = rules.ranks(await tx.children_of(state.family_id))
    charge, _priced = rules.charge(booked, uuid.uuid4(), await tx.tariff_versions(state.structure_id, state.activity_id),
                                   await tx.quotient(state.family_id), ranks.get(state.child_id, 1))
    if await tx.insert_charge(charge, event_id):
        log.warning("resync: missing consumption recorded", booking_id=str(state.booking_id),
                    total_cents=charge.total_cents)
        await outbox.add(tx.conn, rules.recorded(charge))
        await settle_justified(tx, outbox, [state.booking_id], event_id)


@dataclass(frozen=True)
class History:
    """A family's lines of one month, in the structures the caller may see."""

    family_id: uuid.UUID
    month: str
    start: date
    lines: list[rules.Consumption]
    family_label: str = ""
    absences: list = field(default_factory=list)  # the month's days of justified absence (issue 19)

    @property
    def previous(self) -> str:
        return periods.neighbours(self.start)[0]

    @property
    def next(self) -> str:
        return periods.neighbours(self.start)[1]


def month_of(month: str | None, today: date) -> tuple[str, date, date]:
    """The month asked for ("AAAA-MM"; by default today's) and its first and last days."""
    month = month or periods.month_key(today)
    try:
        start, end = periods.month_range(month)
    except InvalidMonth as exc:
        raise BadRequest(exc.detail) from None
    return month, start, end


async def history(store: Store, who: Identity, asked_family: str | None, month: str | None, today: date,
                  with_label: bool = False) -> History:
    """The history page and its exports (`with_label`: with the family's name, for the PDF)."""
    month, start, end = month_of(month, today)
    async with store.reading() as tx:
        family_id = access.family_asked(who, asked_family)
        scope = access.family_scope(who, family_id, await tx.family_structures(family_id))
        lines = [line for line in await tx.consumptions_of(family_id, start, end) if scope.covers(line.structure_id)]
        label = await tx.family_label(family_id) if with_label else ""
        absent = [d for d in await tx.justified_days(family_id, start, end) if scope.covers(d.structure_id)]
    return History(family_id, month, start, lines, label, absent)
