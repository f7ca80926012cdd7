"""What booking computes before it takes traffic, so that the first parents after a deployment do not pay for
it: the public holidays of the years around today (the `holidays` package loads its countries on first use, a
third of a second of CPU measured in the middle of a confirmation burst, bench.booking_year)."""

from __future__ import annotations

from collections.abc import AsyncIterator

from aiohttp import web

from kit.clock import utc_now
from services.booking.domain.openings import public_holidays


def warm_caches(year: int) -> None:
    for around in (year - 1, year, year + 1):  # a school year spans two calendar years
        public_holidays(around)


async def warm(_app: web.Application) -> AsyncIterator[None]:
    """A cleanup context of the application: runs before the service answers (/readyz included)."""
    warm_caches(utc_now().year)
    yield
