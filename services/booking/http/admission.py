"""booking's waiting room over HTTP (docs/adr/0008-waiting-room.md): a confirmation admitted (`POST
/v1/basket/requests`: answered with its result when recorded within a moment, else with its position), its
state (`GET /v1/basket/requests/{id}`), and the workers that record the queue in order (an aiohttp context
started with the service), with the queue's depth as a metric for the autoscaler."""

from __future__ import annotations

import asyncio
import contextlib
import uuid
from collections import deque
from collections.abc import AsyncIterator
from dataclasses import dataclass, field

from aiohttp import web
from prometheus_client import Gauge
from pydantic import BaseModel, Field

from kit.clock import utc_now
from kit.http import identity_of, json_response, path_uuid, read_model
from kit.logging import get_logger
from kit.service import APP_KEY
from services.booking.domain.admission import worth_waiting
from services.booking.domain.basket import unique_lines
from services.booking.http import answers
from services.booking.http.answers import LineIn, lines_of
from services.booking.service import admission
from services.booking.store import Database

log = get_logger(__name__)

QUEUE_DEPTH = Gauge("portail_booking_admission_queue_depth",
                    "Confirmations admitted and not yet recorded (the waiting room)")


class RequestIn(BaseModel):
    id: uuid.UUID
    lines: list[LineIn] = Field(max_length=answers.MAX_LINES)


RATE_WINDOW_S = 10.0  # the recent rate of this process's workers, for deciding whether a submission waits


@dataclass
class Room:
    """This process's side of the waiting room: the workers' wake-up call, their gate, the answers the
    submitting requests are waiting for, and when the workers recorded their latest confirmations."""

    wake: asyncio.Event = field(default_factory=asyncio.Event)
    gate: asyncio.Lock = field(default_factory=asyncio.Lock)
    waiters: dict[uuid.UUID, asyncio.Future] = field(default_factory=dict)
    recorded: deque[float] = field(default_factory=deque)

    def record(self, at: float) -> None:
        self.recorded.append(at)
        self._forget(at)

    def rate(self, at: float) -> float | None:
        """Confirmations recorded per second by this process's workers lately; None before any."""
        self._forget(at)
        return len(self.recorded) / RATE_WINDOW_S if self.recorded else None

    def _forget(self, at: float) -> None:
        """Only the records of the window are kept (oldest first): the rate is their count, not a scan."""
        while self.recorded and self.recorded[0] < at - RATE_WINDOW_S:
            self.recorded.popleft()


ROOM = web.AppKey("admission_room", Room)


def state_json(s: admission.State) -> dict:
    return {"id": str(s.id), "status": s.status, "position": s.position, "eta_seconds": s.eta_seconds,
            "poll_seconds": s.poll_seconds,
            "results": s.results, "problem": s.problem}


def _db(app: web.Application) -> Database:
    return Database(app[APP_KEY].pool)


async def submit(request: web.Request) -> web.Response:
    body = await read_model(request, RequestIn)
    who, room = identity_of(request), request.app[ROOM]
    settings = request.app[APP_KEY].settings
    done = room.waiters.setdefault(body.id, asyncio.get_running_loop().create_future())
    try:
        await admission.admit(_db(request.app), who, body.id, unique_lines(lines_of(body.lines)))
        room.wake.set()
        # under normal load the answer comes within a moment: the parent sees it directly; when the
        # confirmations waiting here are more than the workers record in that moment, the position at once
        loop = asyncio.get_running_loop()
        if worth_waiting(len(room.waiters) - 1, room.rate(loop.time()), settings.admission_wait_seconds):
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(asyncio.shield(done), settings.admission_wait_seconds)
    finally:
        if room.waiters.get(body.id) is done:
            room.waiters.pop(body.id, None)
    s = await admission.state(_db(request.app), who, body.id)
    return json_response(state_json(s), status=202 if s.status == "queued" else 200)


async def request_state(request: web.Request) -> web.Response:
    s = await admission.state(_db(request.app), identity_of(request), path_uuid(request, "request_id"))
    return json_response(state_json(s))


def _render(results) -> list[dict]:
    return answers.results_json(results)["results"]


async def _worker(app: web.Application, number: int) -> None:
    room = app[ROOM]
    while True:
        try:
            done = await admission.record_next(_db(app), room.gate, utc_now, _render)
        except asyncio.CancelledError:
            raise
        except Exception:
            log.exception("admission worker failed; the confirmation stays queued", worker=number)
            await asyncio.sleep(1)
            continue
        if done is None:
            room.wake.clear()
            with contextlib.suppress(TimeoutError):
                await asyncio.wait_for(room.wake.wait(), 0.5)  # other replicas' admissions are polled
            continue
        room.record(asyncio.get_running_loop().time())
        waiter = room.waiters.get(done)
        if waiter is not None and not waiter.done():
            waiter.set_result(None)


async def _depth(app: web.Application) -> None:
    while True:
        with contextlib.suppress(Exception):  # a metric must never stop the service
            async with _db(app).reading() as store:
                QUEUE_DEPTH.set(await store.queue_depth())
        await asyncio.sleep(2)


async def workers(app: web.Application) -> AsyncIterator[None]:
    """The waiting room's workers, for as long as the service runs (a confirmation a stopped worker had
    not committed stays queued for the next)."""
    room = app[ROOM]
    count = app[APP_KEY].settings.admission_workers
    tasks = [asyncio.create_task(_worker(app, n), name=f"admission-{n}") for n in range(count)]
    tasks.append(asyncio.create_task(_depth(app), name="admission-depth"))
    room.wake.set()  # what was queued before this start
    yield
    for task in tasks:
        task.cancel()
    await asyncio.gather(*tasks, return_exceptions=True)


def routes(app: web.Application) -> None:
    app[ROOM] = Room()
    app.router.add_post("/v1/basket/requests", submit)
    app.router.add_get("/v1/basket/requests/{request_id}", request_state)
