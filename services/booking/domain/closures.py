"""Mass closures (strike, weather, a closed school), the rules: which ranges staff may close, until when a
closure may be withdrawn (before its first day), the reason the cancelled bookings carry, and the one notice
per family listing its children's cancelled days (its one mail)."""

from __future__ import annotations

import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date
from itertools import groupby

from contracts.closures import BookingClosureNoticeV1, ClosedDay
from contracts.errors import Conflict, Invalid

__all__ = ["MAX_DAYS", "Cancelled", "check_range", "notices", "reason", "require_reopenable"]

# A closure is an exception (a strike, a storm, a school closed for works): longer ones are holidays.
MAX_DAYS = 62


@dataclass(frozen=True)
class Cancelled:
    """A booking the closure cancelled, with what its family's mail says of it."""

    booking_id: uuid.UUID
    family_id: uuid.UUID
    first_name: str
    last_name: str
    activity_name: str
    day: date


def check_range(start: date, end: date) -> None:
    """A closure covers one day or a range of at most MAX_DAYS days."""
    if end < start:
        raise Invalid("La date de fin de la fermeture doit suivre sa date de début.")
    if (end - start).days + 1 > MAX_DAYS:
        raise Invalid(f"Une fermeture couvre {MAX_DAYS} jours au plus : déclarez des vacances pour une période "
                      "plus longue.")


def require_reopenable(start: date, reopened: bool, today: date) -> None:
    """Re-opening is possible once, before the closure's first day only (families may then book again)."""
    if reopened:
        raise Conflict("Cette fermeture a déjà été levée.")
    if today >= start:
        raise Conflict("La fermeture a commencé : elle ne peut plus être levée.")


def reason(label: str) -> str:
    """What the cancelled bookings say (the follow-up shows it)."""
    return f"Fermeture : {label}" if label else "Fermeture"


def notices(closure_id: uuid.UUID, structure_id: uuid.UUID, structure_name: str, label: str,
            cancelled: Sequence[Cancelled]) -> list[BookingClosureNoticeV1]:
    """One notice per family, listing its children's cancelled days in date then name order."""
    by_family = sorted(cancelled, key=lambda c: (str(c.family_id), c.day, c.last_name, c.first_name,
                                                 c.activity_name))
    return [BookingClosureNoticeV1(
        closure_id=closure_id, family_id=family_id, structure_id=structure_id, structure_name=structure_name,
        label=label, days=[ClosedDay(child_first_name=c.first_name, child_last_name=c.last_name,
                                     activity_name=c.activity_name, date=c.day) for c in group])
        for family_id, group in groupby(by_family, key=lambda c: c.family_id)]
