"""The waiting room's arithmetic: what a parent is told while their confirmation waits its turn (its position
among the confirmations admitted before it, and about how long that takes at the rate the service records
them now)."""

from __future__ import annotations

import math

__all__ = ["DEFAULT_RATE_PER_S", "eta_seconds"]

# before the first baskets are recorded the rate is unknown: a prudent guess (a few baskets a second)
DEFAULT_RATE_PER_S = 5.0


def eta_seconds(position: int, rate_per_s: float | None) -> int:
    """About how many seconds until a confirmation at ``position`` (1 = next) is recorded, when baskets are
    recorded at ``rate_per_s``; at least one second while it waits, rounded up."""
    if position <= 0:
        return 0
    rate = rate_per_s if rate_per_s and rate_per_s > 0 else DEFAULT_RATE_PER_S
    return max(1, math.ceil(position / rate))
