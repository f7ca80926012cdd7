"""The calendar legend of the guide: the state of one child / activity / day, what a parent may do on it,
and the answer a reservation gets (accepted, waiting list or refused)."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from functools import lru_cache

__all__ = [
    "LABELS",
    "LOCKED_REQUEST_LABEL",
    "NO_PLACE_LEFT",
    "SYMBOLS",
    "BookingStatus",
    "DayFacts",
    "DayState",
    "DaySummary",
    "can_cancel",
    "can_reserve",
    "day_actions",
    "day_label",
    "day_state",
    "remaining_places",
    "request_outcome",
    "summary",
]


class BookingStatus(StrEnum):
    ACCEPTED = "accepted"
    WAITLISTED = "waitlisted"
    REFUSED = "refused"
    PENDING = "pending"  # "En attente réponse" (staff decision)


class DayState(StrEnum):
    CLOSED = "closed"  # not open, not enrolled, or past the booking deadline with no booking
    FULL = "full"  # ✖ Activité complète
    AVAILABLE = "available"  # ● Activité disponible
    WAITLIST_ONLY = "waitlist_only"  # ⏳ disponible uniquement en liste d'attente
    BOOKED = "booked"  # 📅 réservée, modifiable
    REQUESTED = "requested"  # ⚠️ demandée en liste d'attente, en attente de réponse ou refusée, annulable
    LOCKED = "locked"  # 🚫 réservée (ou en liste d'attente / refusée), non modifiable
    OTHER_HOUSEHOLD = "other_household"  # shared custody: the child's other household booked the day


SYMBOLS: dict[DayState, str] = {
    DayState.CLOSED: "",
    DayState.FULL: "✖",
    DayState.AVAILABLE: "●",
    DayState.WAITLIST_ONLY: "⏳",
    DayState.BOOKED: "📅",
    DayState.REQUESTED: "⚠️",
    DayState.LOCKED: "🚫",
    DayState.OTHER_HOUSEHOLD: "⇄",
}

LABELS: dict[DayState, str] = {
    DayState.CLOSED: "L'activité n'est pas ouverte ou vous êtes hors délai pour réserver ce jour.",
    DayState.FULL: "Activité complète",
    DayState.AVAILABLE: "Activité disponible",
    DayState.WAITLIST_ONLY: "Activité disponible uniquement en liste d'attente",
    DayState.BOOKED: "Activité réservée, modifiable",
    DayState.REQUESTED: "Activité demandée en liste d'attente ou refusée, annulable",
    DayState.LOCKED: "Activité réservée, non modifiable",
    DayState.OTHER_HOUSEHOLD: "Réservé par l'autre foyer",
}

# The guide's second 🚫 line (its own words), for a locked day whose booking is not an accepted one.
LOCKED_REQUEST_LABEL = "Activité en liste d'attente ou refusée, annulable"


@dataclass(frozen=True)
class DayFacts:
    is_open: bool  # a session exists that day
    enrolled: bool  # the child may book this activity (enrolment + house rules signed when required)
    capacity: int | None  # None = unlimited
    taken: int  # accepted bookings
    waitlist_allowed: bool
    status: BookingStatus | None  # this child's current booking that day, if any (cancelled = None)
    before_booking_deadline: bool
    before_cancel_deadline: bool
    other_household: bool = False  # shared custody: the other household holds the day (its details unseen)


def remaining_places(f: DayFacts) -> int | None:
    """Places left; None when unlimited; never negative (over-booking shows 0)."""
    if f.capacity is None:
        return None
    return max(0, f.capacity - f.taken)


def day_state(f: DayFacts) -> DayState:
    if f.other_household:  # neither bookable nor cancellable by this household
        return DayState.OTHER_HOUSEHOLD
    if f.status is not None:
        if f.status == BookingStatus.ACCEPTED:
            return DayState.BOOKED if f.before_cancel_deadline else DayState.LOCKED
        return DayState.REQUESTED if f.before_cancel_deadline else DayState.LOCKED
    if not (f.is_open and f.enrolled and f.before_booking_deadline):
        return DayState.CLOSED
    if remaining_places(f) == 0:
        return DayState.WAITLIST_ONLY if f.waitlist_allowed else DayState.FULL
    return DayState.AVAILABLE


def day_label(f: DayFacts) -> str:
    """The French legend text for these facts (distinguishes the two 🚫 lines of the guide)."""
    state = day_state(f)
    if state is DayState.LOCKED and f.status != BookingStatus.ACCEPTED:
        return LOCKED_REQUEST_LABEL
    return LABELS[state]


def can_reserve(f: DayFacts) -> bool:
    return day_state(f) in (DayState.AVAILABLE, DayState.WAITLIST_ONLY)


def can_cancel(f: DayFacts) -> bool:
    return day_state(f) in (DayState.BOOKED, DayState.REQUESTED)


def day_actions(f: DayFacts) -> list[str]:
    """What a parent may ask for on this day, among "reserve" and "cancel"."""
    return [action for action, allowed in (("reserve", can_reserve(f)), ("cancel", can_cancel(f))) if allowed]


@dataclass(frozen=True)
class DaySummary:
    """Everything the calendar writes of one set of facts: the state, its symbol, its legend line, the
    actions allowed and the places left."""

    state: DayState
    symbol: str
    label: str
    actions: tuple[str, ...]
    remaining: int | None


@lru_cache(maxsize=4096)
def summary(f: DayFacts) -> DaySummary:
    """The rules above applied once to these facts: a month's calendar asks for the state, label and actions of
    the same few facts (an open day with places, a booked day…) on day after day, each of them computing the
    state again (a pure function of its argument, kept)."""
    state = day_state(f)
    return DaySummary(state, SYMBOLS[state], day_label(f), tuple(day_actions(f)), remaining_places(f))


NO_PLACE_LEFT = "plus de place disponible"


def request_outcome(place_taken: bool, waitlist_allowed: bool) -> tuple[BookingStatus, str | None]:
    """The answer to a reservation that may be granted (no staff decision pending): accepted when a place
    was taken (or places are unlimited), else on the waiting list when the activity keeps one, else
    refused for want of a place."""
    if place_taken:
        return BookingStatus.ACCEPTED, None
    if waitlist_allowed:
        return BookingStatus.WAITLISTED, None
    return BookingStatus.REFUSED, NO_PLACE_LEFT
