"""The portal's clock: the one place that reads the current time, in Paris (where the families live).

Rules never read the clock; callers take the moment from here (or from a clock passed to them in tests)
and hand it to the rule."""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, date, datetime
from zoneinfo import ZoneInfo

PARIS = ZoneInfo("Europe/Paris")

Clock = Callable[[], datetime]


def utc_now() -> datetime:
    return datetime.now(UTC)


def paris_today(now: datetime | None = None) -> date:
    """The date in Paris at `now` (default: the current time). At 00:30 in Paris the server's UTC date is
    still yesterday's: a parent's "today" is the Paris one."""
    return (now or utc_now()).astimezone(PARIS).date()
