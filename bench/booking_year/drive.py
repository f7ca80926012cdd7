"""bench.booking_year's load generator: jobs run by N workers under a time limit (`drive`, its `Run`:
latencies, errors, outcomes), percentiles, and the HTTP client that signs parent identities."""

from __future__ import annotations

import asyncio
import time
import uuid
from collections import Counter
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field

import aiohttp

from kit.identity import HEADER, Identity, issue

# the identity secret the service is started with, and the client signs the parents' identities with
SECRET = "bench-identity-secret-" + "0123456789abcdef" * 2


def pct(values: Sequence[float], q: float) -> float:
    if not values:
        return float("nan")
    ordered = sorted(values)
    return ordered[min(len(ordered) - 1, max(0, round(q * (len(ordered) - 1))))]


@dataclass
class Run:
    latencies: list[float] = field(default_factory=list)  # seconds, successful calls only
    wall: float = 0.0
    errors: Counter = field(default_factory=Counter)
    samples: dict[str, str] = field(default_factory=dict)  # the first message of each kind of error
    outcomes: Counter = field(default_factory=Counter)
    unfinished: int = 0
    drain: tuple[int, float] | None = None  # lines recorded server-side, seconds after the client's end
    recorded: Counter = field(default_factory=Counter)  # confirm: the bookings in the database, by status

    @property
    def done(self) -> int:
        return len(self.latencies)

    @property
    def rate(self) -> float:
        return self.done / self.wall if self.wall else float("nan")


async def drive(jobs: Sequence[Callable[[], Awaitable[Counter | None]]], concurrency: int, limit_s: float) -> Run:
    """Run the jobs with `concurrency` workers; stop by itself after `limit_s` seconds."""
    run = Run()
    queue = list(reversed(jobs))

    async def worker() -> None:
        while queue:
            job = queue.pop()
            t0 = time.perf_counter()
            try:
                outcomes = await job()
            except Exception as exc:  # noqa: BLE001 - counted and shown, the bench goes on
                kind = type(exc).__name__ + (f" {exc.status}" if hasattr(exc, "status") else "")
                run.errors[kind] += 1
                run.samples.setdefault(kind, (str(exc) or repr(exc))[:300])
                continue
            run.latencies.append(time.perf_counter() - t0)
            if outcomes:
                run.outcomes.update(outcomes)

    t0 = time.perf_counter()
    tasks = [asyncio.create_task(worker()) for _ in range(min(concurrency, len(jobs)))]
    try:
        _, pending = await asyncio.wait(tasks, timeout=limit_s)
    except BaseException:  # interrupted (Ctrl-C, the smoke run's time limit): stop the workers too
        for task in tasks:
            task.cancel()
        await asyncio.gather(*tasks, return_exceptions=True)
        raise
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    run.wall = time.perf_counter() - t0
    run.unfinished = len(queue) + len(pending)
    if pending:
        run.errors[f"stopped after {limit_s:.0f} s"] += len(queue) + len(pending)
    return run


class Client:
    def __init__(self, base: str, concurrency: int, timeout_s: float):
        self.base = base
        self.session = aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=concurrency),
            timeout=aiohttp.ClientTimeout(total=timeout_s))
        self.tokens: dict[uuid.UUID, str] = {}

    def token(self, family: uuid.UUID) -> str:
        if family not in self.tokens:
            self.tokens[family] = issue(Identity(subject=f"bench-{family}", role="parent", family_id=family), SECRET,
                                        ttl_seconds=3600)
        return self.tokens[family]

    async def post(self, path: str, family: uuid.UUID, body: dict) -> dict:
        async with self.session.post(self.base + path, json=body, headers={HEADER: self.token(family)}) as resp:
            if resp.status != 200:
                raise aiohttp.ClientResponseError(resp.request_info, (), status=resp.status,
                                                  message=(await resp.text())[:200])
            return await resp.json()

    async def close(self) -> None:
        await self.session.close()
