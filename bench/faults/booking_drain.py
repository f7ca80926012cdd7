"""Fault scenario `booking_sigterm`: booking (a subprocess) sent SIGTERM in the middle of a burst of basket
confirmations; counts the baskets answered 200 but not recorded whole (lost) and the baskets recorded in part
(half_written), and checks that booking drained its in-flight requests and exited 0."""

from __future__ import annotations

import asyncio
import secrets
import time
import uuid
from collections import Counter
from dataclasses import dataclass, field
from datetime import time as dtime
from datetime import timedelta
from pathlib import Path

import aiohttp
import asyncpg

from bench.fault_scenarios.scratch import FIRST_DAY
from bench.faults.processes import Process, service_env
from kit import identity as ident


@dataclass
class BookingSigtermResult:
    baskets: int
    lines: int
    answered: int = 0               # 200
    refused_503: int = 0
    connection_errors: int = 0
    other_statuses: Counter = field(default_factory=Counter)
    in_flight_at_sigterm: int = 0
    answered_after_sigterm: int = 0
    lost: int = 0                   # answered 200, not all its lines in the database
    half_written: int = 0           # some of a basket's lines recorded, not all
    recorded_without_200: int = 0   # recorded whole but the answer was lost (allowed, counted)
    refused_but_recorded: int = 0   # a 503 whose lines are in the database
    exit_code: int | None = None
    drain_seconds: float = 0.0
    seconds: float = 0.0

    def failures(self) -> list[str]:
        problems = []
        if self.lost:
            problems.append(f"{self.lost} baskets answered 200 without all their lines")
        if self.half_written:
            problems.append(f"{self.half_written} baskets recorded in part")
        if self.refused_but_recorded:
            problems.append(f"{self.refused_but_recorded} baskets answered 503 but recorded")
        if self.other_statuses:
            problems.append(f"unexpected answers: {dict(self.other_statuses)}")
        if self.exit_code != 0:
            problems.append(f"booking exited {self.exit_code} after SIGTERM")
        if not self.answered_after_sigterm:
            problems.append("no in-flight basket was answered after SIGTERM (nothing drained)")
        return problems

    def result_line(self) -> str:
        return (f"RESULT scenario=booking_sigterm lost={self.lost} duplicated=0 half_written={self.half_written} "
                f"repeated_mails=0 baskets={self.baskets} answered={self.answered} "
                f"answered_after_sigterm={self.answered_after_sigterm} refused_503={self.refused_503} "
                f"connection_errors={self.connection_errors} recorded_without_200={self.recorded_without_200} exit_code={self.exit_code} "
                f"drain_seconds={self.drain_seconds:.2f}")


async def _seed_baskets(dsn: str, baskets: int, lines: int, capacity: int):
    from services.booking.service import catalog
    from services.booking.store import Store

    structure = uuid.uuid4()
    days = [FIRST_DAY + timedelta(days=i) for i in range(lines)]
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            activity = await catalog.create_activity(Store(conn), catalog.ActivityIn(
                structure_id=structure, name=f"RESTAURATION {uuid.uuid4().hex[:6]}", start_time=dtime(11, 30),
                end_time=dtime(13, 30), capacity=capacity, waitlist_allowed=True))
            await conn.executemany(
                "INSERT INTO sessions (id, activity_id, day, start_time, end_time, capacity) "
                "VALUES ($1, $2, $3, '11:30', '13:30', $4)", [(uuid.uuid4(), activity, d, capacity) for d in days])
            families = [(uuid.uuid4(), uuid.uuid4()) for _ in range(baskets)]
            await conn.executemany(
                "INSERT INTO children (id, family_id, first_name, last_name, birth_date, structure_id) "
                "VALUES ($1, $2, 'Enfant', 'BURST', '2090-01-01', $3)",
                [(child, family, structure) for family, child in families])
    finally:
        await conn.close()
    return activity, days, families


async def booking_sigterm(pg_url: str, amqp_url: str, db_prefix: str, workdir: Path, baskets: int = 100,
                          lines: int = 6, late: int = 20, log=print) -> BookingSigtermResult:
    """SIGTERM booking once a quarter of `baskets` concurrent confirmations are answered; `late` more
    baskets are sent right after the signal."""
    started = time.monotonic()
    db_name = f"{db_prefix}booking"
    dsn = f"{pg_url}/{db_name}"
    secret = secrets.token_urlsafe(32)
    booking = Process("booking", service_env("booking", pg_url, db_name, amqp_url, secret), workdir / "booking.log")
    result = BookingSigtermResult(baskets=baskets + late, lines=lines)
    answers: dict[uuid.UUID, str] = {}  # family -> "200" | "503" | "error" | other status
    sigterm_at: list[float] = []
    try:
        await booking.start()
        # every basket takes a place on the same days: they queue on the same session rows, as in a rush
        activity, days, families = await _seed_baskets(dsn, baskets + late, lines, capacity=10_000)

        # Half the parents on a connection of their own; the other half through a few kept-alive
        # connections shared as the gateway's client shares them (idle ones are closed at SIGTERM).
        shared = aiohttp.ClientSession(connector=aiohttp.TCPConnector(limit=10),
                                       timeout=aiohttp.ClientTimeout(total=60))

        async def post(http: aiohttp.ClientSession, family: uuid.UUID, token: str, body: dict) -> None:
            async with http.post(f"{booking.url}/v1/basket/confirm", headers={ident.HEADER: token},
                                 json=body) as resp:
                await resp.read()
                answers[family] = str(resp.status)
                if resp.status == 200 and sigterm_at:
                    result.answered_after_sigterm += 1

        async def confirm(family: uuid.UUID, child: uuid.UUID, own_connection: bool) -> None:
            token = ident.issue(ident.Identity(subject=str(uuid.uuid4()), role="parent", family_id=family), secret)
            body = {"lines": [{"child_id": str(child), "activity_id": str(activity), "date": d.isoformat(),
                               "action": "reserve"} for d in days]}
            try:
                if own_connection:
                    async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=60)) as http:
                        await post(http, family, token, body)
                else:
                    await post(shared, family, token, body)
            except (aiohttp.ClientError, OSError, TimeoutError):
                answers[family] = "error"

        first, second = families[:baskets], families[baskets:]
        tasks = [asyncio.create_task(confirm(f, c, i % 2 == 0)) for i, (f, c) in enumerate(first)]
        deadline = time.monotonic() + 60
        while sum(1 for a in answers.values() if a == "200") < baskets // 4:
            if time.monotonic() > deadline:
                raise RuntimeError(f"fewer than {baskets // 4} baskets answered in 60 s, see {booking.log_path}")
            await asyncio.sleep(0.001)
        booking.terminate()
        sigterm_at.append(time.monotonic())
        result.in_flight_at_sigterm = sum(1 for t in tasks if not t.done())
        log(f"SIGTERM with {len(answers)} of {baskets} baskets answered, {result.in_flight_at_sigterm} in flight")
        # too late: refused (connection or 503), never half done
        tasks += [asyncio.create_task(confirm(f, c, i % 2 == 0)) for i, (f, c) in enumerate(second)]
        result.exit_code = await booking.wait(60)
        result.drain_seconds = time.monotonic() - sigterm_at[0]
        await asyncio.gather(*tasks)
        await shared.close()

        conn = await asyncpg.connect(dsn)
        try:
            recorded = {r["family_id"]: r["n"] for r in await conn.fetch(
                "SELECT family_id, count(*) AS n FROM bookings WHERE activity_id = $1 GROUP BY family_id", activity)}
            movements = {r["family_id"]: r["n"] for r in await conn.fetch(
                "SELECT family_id, count(*) AS n FROM movements WHERE family_id = ANY($1::uuid[]) GROUP BY family_id",
                [f for f, _ in families])}
        finally:
            await conn.close()
        for family, _child in families:
            answer, n = answers.get(family, "error"), recorded.get(family, 0)
            whole = n == lines and movements.get(family, 0) == lines
            if 0 < n < lines or (n and movements.get(family, 0) != n):
                result.half_written += 1
            if answer == "200":
                result.answered += 1
                result.lost += not whole
            elif answer == "503":
                result.refused_503 += 1
                result.refused_but_recorded += n > 0
            elif answer == "error":
                result.connection_errors += 1
                result.recorded_without_200 += whole
            else:
                result.other_statuses[answer] += 1
    finally:
        await booking.stop()
    result.seconds = time.monotonic() - started
    return result
