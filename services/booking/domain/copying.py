"""Copier les réservations: which days can be copied, and why the others cannot (dates are returned;
the HTTP layer writes them in French)."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from services.booking.domain.compat import Slot, conflicts
from services.booking.domain.states import DayFacts, DayState, day_state

__all__ = [
    "REASON_ALREADY_BOOKED",
    "REASON_FULL",
    "REASON_NOT_ENROLLED",
    "REASON_NOT_OPEN",
    "REASON_TOO_LATE",
    "CopyTarget",
    "NotImported",
    "plan_copy",
]

REASON_NOT_OPEN = "activité non ouverte ce jour"
REASON_NOT_ENROLLED = "enfant non inscrit à cette activité"
REASON_TOO_LATE = "hors délai de réservation"
REASON_ALREADY_BOOKED = "déjà réservé"
REASON_FULL = "plus de place disponible"


@dataclass(frozen=True)
class CopyTarget:
    """Facts about the target child+activity on one day."""

    facts: DayFacts | None  # None = activity not open that day
    other_slots: tuple[Slot, ...]  # the target child's other bookings that day


@dataclass(frozen=True)
class NotImported:
    day: date
    reason: str  # French


def reason_not_importable(
    target: CopyTarget | None, target_slot: Slot, declared: Collection[frozenset[UUID]]
) -> str | None:
    """Why one day cannot be copied, or None when it can (checks in the guide's order)."""
    facts = target.facts if target is not None else None
    if facts is None or not facts.is_open:
        return REASON_NOT_OPEN
    if not facts.enrolled:
        return REASON_NOT_ENROLLED
    if not facts.before_booking_deadline:
        return REASON_TOO_LATE
    if facts.status is not None:
        return REASON_ALREADY_BOOKED
    other = conflicts(target_slot, target.other_slots, declared)
    if other is not None:
        return f"horaires incompatibles avec {other.activity_name}"
    if day_state(facts) is DayState.FULL:
        return REASON_FULL
    return None


def plan_copy(
    source_days: Sequence[date],
    target_slot: Slot,
    targets: Mapping[date, CopyTarget],
    declared: Collection[frozenset[UUID]],
) -> tuple[list[date], list[NotImported]]:
    """Split the source days into the days to book for the target and the non-imported ones.

    A day missing from ``targets`` counts as not open. Waiting-list-only days are imported
    (they will go on the waiting list). Duplicated source days are considered once.
    """
    imported: list[date] = []
    rejected: list[NotImported] = []
    for day in sorted(set(source_days)):
        reason = reason_not_importable(targets.get(day), target_slot, declared)
        if reason is None:
            imported.append(day)
        else:
            rejected.append(NotImported(day, reason))
    return imported, rejected

