"""`python -m bench.booking_year`: the command. Makes the scratch database and virtual host, loads the year,
starts the booking service in a process of its own, runs the three measurements in turn, removes everything (also on
failure or Ctrl-C), then prints the table, the RESULT lines and the checks (see the package's docstring)."""

from __future__ import annotations

import argparse
import asyncio
import os
import random
import shutil
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from contextlib import AsyncExitStack
from pathlib import Path

import asyncpg

from bench import booking_year
from bench.booking_year.calendar import (
    bench_calendar,
    bench_calendar_gateway,
    calendar_requests,
    gateway_requests,
)
from bench.booking_year.confirm import bench_confirm
from bench.booking_year.data import load_year, sizes
from bench.booking_year.portal import _start
from bench.booking_year.report import Row, print_table, report_calendar, report_confirm, report_transmission
from bench.booking_year.rush import bench_rush, report_rush
from bench.booking_year.transmission import bench_transmission
from bench.common import ROOT, Report, rabbitmqctl
from kit import db, migrations
from kit.logging import configure_logging

PG = "postgresql://postgres@127.0.0.1:5432"
AMQP_HOST = "127.0.0.1:5672"
POOL_SIZE = 10  # kit.db.create_pool's default: the service's pool; the raw runs use the same size


async def main(args: argparse.Namespace) -> int:
    configure_logging("bench", "WARNING")
    s = sizes(args)
    report = Report("bench.booking_year", strict=args.quick)
    rng = random.Random(args.seed)
    tag = uuid.uuid4().hex[:6]
    vhost, dsn = f"bench-year-{tag}", f"{PG}/bench{tag}_booking_year"
    amqp = f"amqp://guest:guest@{AMQP_HOST}/{vhost}"
    rows: list[Row] = []
    notes: list[str] = []
    booking = AsyncExitStack()  # the booking service's process, stopped before the rush (which starts its own)
    logs = Path(tempfile.mkdtemp(prefix="bench-year-"))
    pool = None
    try:  # the virtual host is created inside: interrupted while rabbitmqctl runs, it is still removed
        await rabbitmqctl("add_vhost", vhost)
        await rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
        await db.ensure_database(dsn)
        conn = await asyncpg.connect(dsn)
        try:
            await migrations.apply(conn, migrations.service_migrations(
                "booking", ROOT / "services" / "booking" / "migrations"))
            t0 = time.perf_counter()
            year = await load_year(conn, s, rng)
            load_s = time.perf_counter() - t0
        finally:
            await conn.close()
        print("load average at start (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()), flush=True)
        print(f"loaded in {load_s:.1f} s: " + ", ".join(f"{v:,} {k}" for k, v in year.counts.items()), flush=True)
        print(f"school year {year.school_days[0]} .. {year.school_days[-1]}; baskets book "
              f"{year.windows(s.basket_days)[0][0]} onwards", flush=True)

        # the service as deployed: `python -m services.booking` in a process of its own (not beside the load
        # generator in this event loop), with BookingSettings' defaults
        base = await _start(booking, "booking", {"PORTAIL_DATABASE_URL": dsn, "PORTAIL_AMQP_URL": amqp}, logs)
        pool = await db.create_pool(dsn, max_size=POOL_SIZE)

        # 1. the month calendar
        reqs = calendar_requests(year, s.calendar_requests, rng)
        calendar = not (args.rush_only or args.no_calendar)
        for concurrency in (1, s.calendar_concurrency) if calendar else ():
            service, raw = await bench_calendar(base, pool, reqs, concurrency)
            report_calendar(report, rows, notes, concurrency, service, raw, len(reqs))
        # 1b. the same month through the gateway's public API (signed-in parents), beside the same raw statement
        if calendar:
            gateway_reqs = gateway_requests(year, s.calendar_requests, rng)
            for concurrency, gateway, raw, cpu in await bench_calendar_gateway(
                    dsn, pool, amqp, f"{PG}/bench{tag}_auth_cal", year, gateway_reqs, (1, s.calendar_concurrency)):
                report_calendar(report, rows, notes, concurrency, gateway, raw, len(gateway_reqs), "calendar_gateway")
                print("  calendar gateway, {}: CPU per request {}".format(
                    "sequential" if concurrency == 1 else f"{concurrency} at once",
                    ", ".join(f"{name} {ms:.2f} ms" for name, ms in cpu.items())), flush=True)
                for name, ms in cpu.items():
                    report.result(f"calendar_gateway_{'serial' if concurrency == 1 else 'concurrent'}_cpu_ms_{name}",
                                  ms)

        # 2. confirming a 40-line basket, every parent at once
        for parents in () if (args.rush_only or args.no_confirm) else s.confirm_parents:
            if not report.check(parents <= len(year.two_child_families),
                                f"confirm {parents}: skipped, only {len(year.two_child_families)} two-child families"):
                notes.append(f"confirm {parents}: skipped, only {len(year.two_child_families)} two-child families")
                continue
            rounds = s.confirm_rounds.get(parents, 1)
            service, raw = await bench_confirm(base, pool, year, parents, rounds, s.basket_days)
            report_confirm(report, rows, notes, parents, rounds, s.basket_days, service, raw)

        # 3. the rentrée rush through the gateway and its waiting room (every parent answered, in order of arrival)
        # (booking, auth and the gateway in processes of their own: the service above is stopped first)
        await booking.aclose()
        if not args.no_rush:
            rush = await bench_rush(dsn, pool, amqp, f"{PG}/bench{tag}_auth", year, s.rush_parents,
                                    s.rush_seconds, s.basket_days)
            report_rush(report, notes, rush)

        # 4. the nightly transmission (the service is stopped already: its relay would publish meanwhile)
        if not args.rush_only:
            pending, service_t, raw_t = await bench_transmission(pool)
            report_transmission(report, rows, notes, pending, year.counts["pending lines"], service_t, raw_t)
    finally:
        try:
            await booking.aclose()
            if pool is not None:
                await pool.close()
            admin = await asyncpg.connect(f"{PG}/postgres")
            try:
                # booking's, auth's for the rush and auth's for the calendar through the gateway
                for scratch in (dsn, f"{PG}/bench{tag}_auth", f"{PG}/bench{tag}_auth_cal"):
                    await admin.execute(f'DROP DATABASE IF EXISTS "{db.database_name(scratch)}" WITH (FORCE)')
            finally:
                await admin.close()
        finally:
            await rabbitmqctl("delete_vhost", vhost, check=False)

    shutil.rmtree(logs, ignore_errors=True)  # kept after a failure: the error names the service's log there
    print("load average at end (1, 5, 15 min): {:.2f} {:.2f} {:.2f}".format(*os.getloadavg()))
    print_table(rows, notes)
    return report.finish()


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.booking_year",
                                     description=booking_year.__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=None, help="default 3000 (300 with --quick)")
    parser.add_argument("--quick", action="store_true", help="small sizes, for a smoke check (< 1 minute)")
    parser.add_argument("--seed", type=int, default=2027)
    parser.add_argument("--rush-only", action="store_true", help="the rush through the gateway only")
    parser.add_argument("--no-rush", action="store_true", help="without the rush (it takes minutes)")
    parser.add_argument("--no-calendar", action="store_true", help="without the calendar measurements")
    parser.add_argument("--no-confirm", action="store_true", help="without the confirmation measurements")
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
