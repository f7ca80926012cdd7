"""The waiting room's arithmetic: what a parent is told while their confirmation waits its turn (its position
among the confirmations admitted before it, and about how long that takes at the rate the service records
them now)."""

from __future__ import annotations

import math

__all__ = ["DEFAULT_RATE_PER_S", "POLL_MAX_SECONDS", "POLL_MIN_SECONDS", "eta_seconds", "poll_seconds", "worth_waiting"]

# before the first baskets are recorded the rate is unknown: a prudent guess (a few baskets a second)
DEFAULT_RATE_PER_S = 5.0


def eta_seconds(position: int, rate_per_s: float | None) -> int:
    """About how many seconds until a confirmation at ``position`` (1 = next) is recorded, when baskets are
    recorded at ``rate_per_s``; at least one second while it waits, rounded up."""
    if position <= 0:
        return 0
    rate = rate_per_s if rate_per_s and rate_per_s > 0 else DEFAULT_RATE_PER_S
    return max(1, math.ceil(position / rate))


# How often a waiting parent's page asks again (its refresh without JavaScript, its script with it).
POLL_MIN_SECONDS, POLL_MAX_SECONDS = 2, 30


def poll_seconds(eta: int | None) -> int:
    """When a waiting page asks again: a third of the wait it shows, between 2 and 30 seconds. Near its turn a
    parent sees the result within two seconds of its recording; far from it, thousands of waiting pages asking
    every few seconds take from the service recording their baskets most of its time (each question is a page
    through the gateway, a session check and a read of the queue: measured at the rush, the polls of a
    parent waiting two minutes cost more CPU than recording their basket), and the queue grows for it."""
    return min(max((eta or 0) // 3, POLL_MIN_SECONDS), POLL_MAX_SECONDS)


def worth_waiting(ahead: int, rate_per_s: float | None, wait_seconds: float) -> bool:
    """Whether a confirmation just admitted should wait for its result before answering: only when the
    ``ahead`` confirmations before it are likely recorded, with it, within ``wait_seconds`` at the current
    rate. Otherwise the parent is shown the waiting room's position at once instead of a page that hangs."""
    # a rate seen under light load says little of what the workers can do: never below the prudent guess
    rate = max(rate_per_s or 0.0, DEFAULT_RATE_PER_S)
    return wait_seconds > 0 and (ahead <= 0 or eta_seconds(ahead + 1, rate) <= wait_seconds)
