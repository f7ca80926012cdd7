"""Bus scenario `kill9`: auth, booking, billing and notify as processes with the dev stack's environment,
events flowing, each consumer killed with SIGKILL in the middle of its work and started again; every effect
counted against the events."""

from __future__ import annotations

import asyncio
import contextlib
import os
import random
import secrets
import signal
import socket
import sys
import time
import uuid
from contextlib import AsyncExitStack
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

from bench.common import ROOT, free_port
from bench.fault_scenarios.accounting import Tally, converge
from bench.fault_scenarios.copies import compare_with_auth, expected_lines, transmission_effects
from bench.fault_scenarios.families import create_family_by_api, create_structure, new_family
from bench.fault_scenarios.scratch import FIRST_DAY, PAYMENT_SECRET, TRANSMITTED_AT, say


class Process:
    """`python -m services.<name>` with the environment tools/devstack.py gives it, its output in a log file."""

    def __init__(self, name: str, env: dict[str, str], log_path: Path):
        self.name, self.log_path = name, log_path
        self.port = int(env["PORTAIL_HTTP_PORT"])
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAIL_", "RABBITMQ_"))}
        self.env = {**base, **env}
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.kills = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.starts += 1
        with self.log_path.open("a") as out:
            out.write(f"\n===== start {self.starts} =====\n")
            out.flush()
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", f"services.{self.name}", cwd=ROOT, env=self.env, stdout=out,
                stderr=asyncio.subprocess.STDOUT)

    async def ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            while True:
                assert self.proc is not None
                if self.proc.returncode is not None:
                    raise RuntimeError(f"{self.name} exited at start ({self.proc.returncode}), see {self.log_path}")
                with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                    async with http.get(f"{self.url}/readyz") as resp:
                        if resp.status == 200:
                            return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} not ready after {timeout}s, see {self.log_path}")
                await asyncio.sleep(0.1)

    async def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        self.kills += 1

    async def stop(self, timeout: float = 30) -> None:
        """SIGTERM, then SIGKILL after `timeout`: the process is gone afterwards."""
        if self.proc is None or self.proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()


def devstack_env(name: str, pg_url: str, prefix: str, amqp_url: str, secret: str, port_base: int,
                 smtp_port: int) -> dict[str, str]:
    """The environment `make run` gives a process (tools/devstack.py `process_env`), on scratch resources."""
    from tools.devstack import DevStack

    stack = DevStack({"PORTAIL_DEV_PG_URL": pg_url, "PORTAIL_DEV_DB_PREFIX": prefix, "PORTAIL_AMQP_URL": amqp_url,
                      "PORTAIL_DEV_PORT_BASE": str(port_base), "PORTAIL_IDENTITY_SECRET": secret,
                      "PORTAIL_DEV_MAIL_SMTP_PORT": str(smtp_port), "PORTAIL_PAYMENT_PROVIDER_SECRET": PAYMENT_SECRET,
                      "PORTAIL_METRICS_TOKEN": secrets.token_urlsafe(32), "PORTAIL_DOSSIER_KEY": "k" * 44,
                      "PORTAIL_DEV_NO_DEMO": "1"})
    env = stack.process_env(name)
    env.update(PORTAIL_OUTBOX_POLL_SECONDS="0.2", PORTAIL_DIGEST_SCHEDULER="false", PORTAIL_LOG_LEVEL="INFO")
    for key in ("PORTAIL_TOPOLOGY_EXTERNAL", "PORTAIL_TOPOLOGY_SUBSCRIBERS"):  # the registry the topology step used
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def free_port_base(width: int = 6) -> int:
    """A base port with the `width` ports after it free (the dev stack's gateway, auth, booking…)."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20000, 60000)
        try:
            sockets = []
            for p in range(base, base + width):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", p))
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
        return base
    raise RuntimeError("no free port range")


def transmitted_event(family: uuid.UUID, structure: uuid.UUID, n_lines: int, seed: int):
    from contracts import BookingTransmittedV1, TransmittedLine

    child = uuid.uuid4()
    lines = [TransmittedLine(booking_id=uuid.uuid4(), child_id=child, child_first_name="Léa",
                             child_last_name=f"TUEE{seed}", activity_id=uuid.uuid4(),
                             activity_name="RESTAURATION SCOLAIRE", date=FIRST_DAY + timedelta(days=i),
                             kind="reserve", outcome="accepted") for i in range(n_lines)]
    return BookingTransmittedV1(transmission_id=uuid.uuid4(), family_id=family, structure_id=structure,
                                structure_name="Mairie de CarteVille", transmitted_at=TRANSMITTED_AT, lines=lines)


async def kill9(amqp_url: str, pg_url: str, prefix: str, workdir: Path, families: int = 120, transmissions: int = 120,
                kills: int = 2, seed: int = 14, span: float = 12.0, timeout: float = 120) -> Tally:
    """auth, booking, billing, notify as processes on a virtual host where the topology step ran. `families`
    families created in auth and `transmissions` booking.transmitted events written in booking's outbox, spread
    over `span` seconds; billing, notify and booking each killed with SIGKILL `kills` times in the middle of their
    work (once some of their events are applied and before all are), started again at once."""
    from services.booking.service import transmission
    from services.booking.store import Store

    started = time.monotonic()
    rng = random.Random(seed)
    tally = Tally("kill9")
    secret = secrets.token_urlsafe(32)
    base, smtp = free_port_base(), free_port()
    procs = {name: Process(name, devstack_env(name, pg_url, prefix, amqp_url, secret, base, smtp),
                           workdir / f"kill9-{name}.log") for name in ("auth", "booking", "billing", "notify")}
    dsn = {name: f"{pg_url}/{prefix}{name}" for name in procs}
    tag = uuid.uuid4().hex[:6]
    written: list[Any] = []
    kill_log: list[str] = []
    async with AsyncExitStack() as stack:
        for p in procs.values():
            stack.push_async_callback(p.stop)
            await p.start()
        await asyncio.gather(*(p.ready() for p in procs.values()))
        pools = {}
        for name in procs:
            pools[name] = await asyncpg.create_pool(dsn[name], min_size=1, max_size=3)
            stack.push_async_callback(pools[name].close)
        http = await stack.enter_async_context(aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)))
        async with pools["auth"].acquire() as conn:
            structures = [await create_structure(conn, f"Mairie {tag} {i}") for i in range(2)]
        expected = {"booking": 2 + families, "billing": 2 + families + transmissions, "notify": families + transmissions}

        async def produce() -> None:
            ids: list[uuid.UUID] = []
            steps = max(families, transmissions)
            for n in range(steps):
                if n < families:
                    family = new_family(n, structures, tag)
                    await create_family_by_api(http, procs["auth"].url, secret, family)
                    ids.append(await pools["auth"].fetchval("SELECT id FROM families WHERE identifiant = $1",
                                                            family.identifiant))
                if n < transmissions:
                    event = transmitted_event(ids[n % len(ids)], structures[n % 2], 1 + n % 4, n)
                    async with pools["booking"].acquire() as conn:
                        await transmission.record(Store(conn), event.transmission_id, [event])
                    written.append(event)
                await asyncio.sleep(span / steps)

        async def applied(name: str) -> int:
            return await pools[name].fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", name)

        async def killer(name: str) -> None:
            """Kill `name` once its applied events pass each mark, spread over the stream (mid-work)."""
            marks = sorted(rng.uniform((k + 0.3) / (kills + 1), (k + 0.9) / (kills + 1)) for k in range(kills))
            for mark in marks:
                target = int(mark * expected[name])
                while await applied(name) < target:
                    await asyncio.sleep(0.003)
                await procs[name].kill9()
                kill_log.append(f"{name}@{target}/{expected[name]}")
                await procs[name].start()
                await procs[name].ready()

        producing = asyncio.create_task(produce())
        killers = [asyncio.create_task(killer(name)) for name in ("billing", "notify", "booking")]
        try:
            await asyncio.wait_for(asyncio.gather(producing, *killers), timeout)
        finally:
            for t in (producing, *killers):
                t.cancel()
        say(f"kill9: kills {', '.join(kill_log)}")
        all_lines = [line.booking_id for e in written for line in e.lines]

        async def measure() -> Tally:
            t = Tally(tally.scenario)
            for producer in ("auth", "booking"):
                t.count(f"{producer}.outbox_pending", lost=await pools[producer].fetchval(
                    "SELECT count(*) FROM outbox WHERE sent_at IS NULL"))
            await compare_with_auth(t, pools["auth"], {k: pools[k] for k in ("booking", "billing", "notify")})
            await transmission_effects(t, pools["booking"], pools["billing"], pools["notify"],
                                       expected_lines(line for e in written for line in e.lines))
            return t

        final = await converge(measure, timeout)
        final.figures.update(families=families, transmissions=len(written), lines=len(all_lines),
                             kills=sum(p.kills for p in procs.values()),
                             redelivered_skipped=sum([await _duplicates_skipped(p) for p in procs.values()]))
    final.seconds = time.monotonic() - started
    return final


async def _duplicates_skipped(process: Process) -> int:
    """How many redelivered events the process's inbox skipped (its log lines), over all its runs."""
    try:
        text = process.log_path.read_text(errors="replace")
    except OSError:
        return 0
    return text.count("event already processed, skipped")

