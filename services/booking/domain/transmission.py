"""The nightly transmission's content: which movements go out (not a request still waiting for staff's
answer), what an accepted reservation costs (settled tonight, carried by its line: docs/adr/0003), the
movements grouped into one booking.transmitted event per family and structure (in the order read); and the
state a transmitted booking leaves for its consumers."""

from __future__ import annotations

import uuid
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from datetime import date, datetime, time
from itertools import groupby

from contracts import BookingTransmittedV1, TransmittedLine
from contracts.pricing import Price
from services.booking.domain.pricing import Pricer

__all__ = ["WAITING_FOR_ANSWER", "Movement", "consumer_status", "is_priced", "priced", "transmitted_events"]

# A request waiting for staff's answer ("En attente réponse"): its movement never goes out; the answer
# (accepted, waiting list or refused) is a movement of its own, and that one does. A booking counts as
# transmitted once every movement of it that goes out has gone (the store's queries take this list).
WAITING_FOR_ANSWER = ("pending",)


@dataclass(frozen=True)
class Movement:
    """A movement picked for a transmission, with what the event says of its booking."""

    booking_id: uuid.UUID
    family_id: uuid.UUID
    kind: str  # reserve | cancel
    outcome: str
    child_id: uuid.UUID
    activity_id: uuid.UUID
    day: date
    arrival: time
    departure: time
    first_name: str
    last_name: str
    activity_name: str
    structure_id: uuid.UUID
    structure_name: str
    price: Price | None = None  # an accepted reservation's cost, settled by this transmission


def is_priced(kind: str, outcome: str) -> bool:
    """The lines whose cost the transmission settles: accepted reservations (the days to be paid for)."""
    return kind == "reserve" and outcome == "accepted"


def priced(movements: Sequence[Movement], pricers: Mapping[uuid.UUID, Pricer]) -> list[Movement]:
    """Each accepted reservation with its price, settled now with the one rule from the tariff in force on its
    day, the family's quotient and the child's rank as booking knows them tonight (``pricers`` by family).
    That price travels in the transmitted line, billing charges it, the follow-up shows it from then on: a
    later change of quotient does not reprice a day already charged."""
    return [replace(m, price=pricers[m.family_id].price(m.activity_id, m.child_id, m.day, m.arrival, m.departure))
            if is_priced(m.kind, m.outcome) and m.family_id in pricers else m for m in movements]


def _line(m: Movement) -> TransmittedLine:
    return TransmittedLine(
        booking_id=m.booking_id, child_id=m.child_id, child_first_name=m.first_name, child_last_name=m.last_name,
        activity_id=m.activity_id, activity_name=m.activity_name, date=m.day, kind=m.kind, outcome=m.outcome,
        arrival=m.arrival, departure=m.departure,
        unit_price_cents=m.price.unit_price_cents if m.price else None,
        quantity=m.price.quantity if m.price else None, total_cents=m.price.total_cents if m.price else None)


def transmitted_events(movements: Sequence[Movement], transmission_id: uuid.UUID,
                       at: datetime) -> list[BookingTransmittedV1]:
    """One event per run of movements of the same family and structure (the store orders them so)."""
    events = []
    for (family_id, structure_id), group in groupby(movements, key=lambda m: (m.family_id, m.structure_id)):
        group = list(group)
        events.append(BookingTransmittedV1(
            transmission_id=transmission_id, family_id=family_id, structure_id=structure_id,
            structure_name=group[0].structure_name, transmitted_at=at, lines=[_line(m) for m in group]))
    return events


def consumer_status(kind: str, outcome: str) -> str:
    """What the latest transmitted movement left: billing cancels on any transmitted cancellation."""
    return "cancelled" if kind == "cancel" else outcome
