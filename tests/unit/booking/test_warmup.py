"""booking fills its slow-to-build caches before it takes traffic (services/booking/service/warmup.py)."""

from __future__ import annotations

from datetime import date

import pytest

from services.booking.app import service
from services.booking.domain.openings import public_holidays
from services.booking.service import warmup


def test_warm_caches_computes_the_public_holidays_of_the_school_years_around():
    public_holidays.cache_clear()
    warmup.warm_caches(2031)
    assert public_holidays.cache_info().currsize == 3
    hits = public_holidays.cache_info().hits
    assert date(2031, 7, 14) in public_holidays(2031)  # the fête nationale, from the cache
    assert date(2032, 1, 1) in public_holidays(2032)
    assert public_holidays.cache_info().hits == hits + 2


@pytest.mark.asyncio
async def test_the_warm_up_runs_before_the_service_answers():
    assert service.contexts[0] is warmup.warm  # cleanup contexts run, in order, before the first request
    public_holidays.cache_clear()
    context = warmup.warm(None)
    await anext(context)
    assert public_holidays.cache_info().currsize == 3
    with pytest.raises(StopAsyncIteration):
        await anext(context)
