"""Copier les réservations: which days can be copied, and why the others cannot."""

from __future__ import annotations

from collections.abc import Collection, Mapping, Sequence
from dataclasses import dataclass
from datetime import date
from uuid import UUID

from services.booking.rules.compat import Slot, conflicts
from services.booking.rules.states import DayFacts, DayState, day_state

__all__ = [
    "FRENCH_MONTHS",
    "FRENCH_WEEKDAYS",
    "REASON_ALREADY_BOOKED",
    "REASON_FULL",
    "REASON_NOT_ENROLLED",
    "REASON_NOT_OPEN",
    "REASON_TOO_LATE",
    "CopyTarget",
    "NotImported",
    "french_day",
    "plan_copy",
]

REASON_NOT_OPEN = "activité non ouverte ce jour"
REASON_NOT_ENROLLED = "enfant non inscrit à cette activité"
REASON_TOO_LATE = "hors délai de réservation"
REASON_ALREADY_BOOKED = "déjà réservé"
REASON_FULL = "plus de place disponible"

FRENCH_WEEKDAYS = ("Lundi", "Mardi", "Mercredi", "Jeudi", "Vendredi", "Samedi", "Dimanche")
FRENCH_MONTHS = (
    "Janvier", "Février", "Mars", "Avril", "Mai", "Juin",
    "Juillet", "Août", "Septembre", "Octobre", "Novembre", "Décembre",
)  # fmt: skip


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


def french_day(d: date) -> str:
    """E.g. "Mardi 9 Mai 2017": weekday and month capitalised, no leading zero on the day."""
    return f"{FRENCH_WEEKDAYS[d.weekday()]} {d.day} {FRENCH_MONTHS[d.month - 1]} {d.year}"
