"""Time-slot compatibility between a child's bookings on one day."""

from __future__ import annotations

from collections.abc import Collection, Sequence
from dataclasses import dataclass
from datetime import time
from uuid import UUID

__all__ = ["Slot", "conflicts", "overlaps"]


@dataclass(frozen=True)
class Slot:
    activity_id: UUID
    activity_name: str
    start: time
    end: time


def overlaps(a: Slot, b: Slot) -> bool:
    """Half-open intervals [start, end): 07:15–08:15 and 08:15–09:00 do not overlap.

    An empty (start >= end) slot overlaps nothing.
    """
    return max(a.start, b.start) < min(a.end, b.end)


def conflicts(candidate: Slot, others: Sequence[Slot], declared: Collection[frozenset[UUID]]) -> Slot | None:
    """The first other slot that overlaps ``candidate`` or whose activity is declared
    incompatible with it (a pair of activity ids); the same activity is never compared."""
    for other in others:
        if other.activity_id == candidate.activity_id:
            continue
        if overlaps(candidate, other) or frozenset((candidate.activity_id, other.activity_id)) in declared:
            return other
    return None
