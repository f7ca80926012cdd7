"""The answers of a whole basket at once: each reservation decided from the places of its session as they
stood when locked (accepted while places remain, then the waiting list with its position, or refused; a
request for staff decision waits), and how many waiting requests a freed place promotes.

This is the one statement of the rule; the store's set-based statement (store/baskets.py) executes it in
PostgreSQL for the whole basket, and the service compares both on every basket (tests compare them on
randomized baskets too)."""

from __future__ import annotations

from collections.abc import Hashable, Sequence
from dataclasses import dataclass

from services.booking.domain.states import BookingStatus, request_outcome

__all__ = ["Decision", "Place", "decide_reservations", "promotions"]


@dataclass(frozen=True)
class Place:
    """A session's facts, read under its lock, before the basket."""

    capacity: int | None  # None = unlimited
    taken: int  # accepted bookings
    waiting: int  # requests already on its waiting list
    waitlist_allowed: bool
    needs_approval: bool


@dataclass(frozen=True)
class Decision:
    status: BookingStatus
    reason: str | None = None
    position: int | None = None  # on the day's waiting list, 1 = next to get a place


def decide_reservations(requests: Sequence[tuple[Hashable, Place]]) -> list[Decision]:
    """The reservations of one basket in their recording order, each with its session's key and locked
    facts: as if recorded one after the other, a line takes a place while the session has one left
    (unlimited sessions always do), then goes on the waiting list behind those already there and the
    basket's earlier lines (or is refused when the activity keeps no list); a line of an activity that
    needs a staff decision waits for it and takes no place."""
    granted: dict[Hashable, int] = {}
    queued: dict[Hashable, int] = {}
    decisions = []
    for key, place in requests:
        if place.needs_approval:
            decisions.append(Decision(BookingStatus.PENDING))
            continue
        has_place = place.capacity is None or place.taken + granted.get(key, 0) < place.capacity
        status, reason = request_outcome(has_place, place.waitlist_allowed)
        position = None
        if status == BookingStatus.ACCEPTED:
            granted[key] = granted.get(key, 0) + 1
        elif status == BookingStatus.WAITLISTED:
            queued[key] = queued.get(key, 0) + 1
            position = place.waiting + queued[key]
        decisions.append(Decision(status, reason, position))
    return decisions


def promotions(capacity: int | None, taken: int, waiting: int) -> int:
    """How many waiting requests a session promotes now: as many as it has free places (all of them when
    its places have become unlimited), the first requested first."""
    if capacity is None:
        return waiting
    return max(0, min(capacity - taken, waiting))
