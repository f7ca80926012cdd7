"""The nightly transmission's content: the movements picked, grouped into one booking.transmitted event per
family and structure (in the order read); and the state a transmitted booking leaves for its consumers."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime, time
from itertools import groupby

from contracts import BookingTransmittedV1, TransmittedLine

__all__ = ["Movement", "consumer_status", "transmitted_events"]


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


def transmitted_events(movements: Sequence[Movement], transmission_id: uuid.UUID,
                       at: datetime) -> list[BookingTransmittedV1]:
    """One event per run of movements of the same family and structure (the store orders them so)."""
    events = []
    for (family_id, structure_id), group in groupby(movements, key=lambda m: (m.family_id, m.structure_id)):
        group = list(group)
        events.append(BookingTransmittedV1(
            transmission_id=transmission_id, family_id=family_id, structure_id=structure_id,
            structure_name=group[0].structure_name, transmitted_at=at,
            lines=[TransmittedLine(
                booking_id=m.booking_id, child_id=m.child_id, child_first_name=m.first_name,
                child_last_name=m.last_name, activity_id=m.activity_id, activity_name=m.activity_name,
                date=m.day, kind=m.kind, outcome=m.outcome, arrival=m.arrival, departure=m.departure)
                for m in group]))
    return events


def consumer_status(kind: str, outcome: str) -> str:
    """What the latest transmitted movement left: billing cancels on any transmitted cancellation."""
    return "cancelled" if kind == "cancel" else outcome
