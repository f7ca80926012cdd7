"""At a rush, booking decodes the confirmation bodies a few at a time (services/booking/service/confirm.py,
READ_CONCURRENCY), between the baskets recording, instead of all of them ahead of those baskets' next statement."""

from __future__ import annotations

import asyncio

from aiohttp import web

from services.booking.http import parents as parents_http
from services.booking.service import confirm


async def test_confirmation_bodies_are_decoded_a_few_at_a_time(monkeypatch):
    reading = most = 0

    async def slow_read(_request, _model):
        nonlocal reading, most
        reading += 1
        most = max(most, reading)
        for _ in range(5):
            await asyncio.sleep(0)
        reading -= 1
        raise web.HTTPBadRequest(text="corps refusé")  # what follows the decoding is not this test's

    monkeypatch.setattr(parents_http, "read_model", slow_read)
    results = await asyncio.gather(*(parents_http.confirm_basket(None) for _ in range(10)), return_exceptions=True)
    assert [type(r) for r in results] == [web.HTTPBadRequest] * 10  # every request answered
    assert most == confirm.READ_CONCURRENCY < 10


async def test_each_gate_is_one_semaphore_of_its_own_per_event_loop():
    assert confirm.reading_gate() is confirm.reading_gate()
    assert confirm.gate() is confirm.gate()
    assert confirm.reading_gate() is not confirm.gate()
