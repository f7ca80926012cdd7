"""`python -m bench.digests`: the command. Makes the scratch notify database, loads the data set, runs the
three measurements in turn, drops the database (also on failure or Ctrl-C), then prints the figures, the
RESULT lines and the checks (see the package's docstring)."""

from __future__ import annotations

import argparse
import asyncio
import gc
import random
import sys
import time
import tracemalloc
import uuid
from collections.abc import Sequence
from datetime import datetime

import asyncpg

from bench import digests as package
from bench.common import ROOT, Report
from bench.digests.building import (
    build_in_memory,
    check_run,
    maxrss_kib,
    mib,
    reset_digests,
    rss_now_kib,
    timed_run,
)
from bench.digests.data import Sizes, load, make_dataset
from bench.digests.sending import SESSIONS, mismatched, smtp_passes
from kit import db, migrations
from kit.logging import configure_logging

PG = "postgresql://postgres@127.0.0.1:5432"
POOL_SIZE = 10  # kit.db.create_pool's default, what the notify service runs with
SEND_TIMEOUT_S = 45  # one sending pass (the in-process catcher manages some 20-30 mails/s: a partial pass)
QUICK_SEND_TIMEOUT_S = 60  # --quick: every pass must send everything, this only bounds a stuck one


async def main(args: argparse.Namespace) -> int:
    configure_logging("bench", "WARNING")
    s = Sizes(args.families or (200 if args.quick else 5000), args.movements or (4000 if args.quick else 100_000))
    if s.movements < s.families:
        raise SystemExit("--movements must be at least --families (every family moves at least once)")
    rng = random.Random(args.seed)
    dsn = f"{PG}/bench{uuid.uuid4().hex[:6]}_notify_digests"
    send_s = args.send_seconds or (QUICK_SEND_TIMEOUT_S if args.quick else SEND_TIMEOUT_S)
    checks = Report("bench.digests", strict=args.quick)
    out: list[str] = []
    pool = None
    t_start = time.perf_counter()
    try:
        t0 = time.perf_counter()
        ds = make_dataset(s, rng)
        gen_s = time.perf_counter() - t0
        await db.ensure_database(dsn)
        conn = await asyncpg.connect(dsn)
        try:
            await migrations.apply(conn, migrations.service_migrations("notify", ROOT / "services/notify/migrations"))
            t0 = time.perf_counter()
            await load(conn, ds)
            load_s = time.perf_counter() - t0
        finally:
            await conn.close()
        groups = len(ds.groups)
        two_addr = sum(1 for c in ds.contacts if len(c[2]) == 2)
        out.append(f"data: {s.families:,} families ({two_addr:,} with 2 addresses), {ds.lines:,} movements in "
                   f"{ds.events:,} booking.transmitted events, {groups:,} family+structure digests expected "
                   f"(generated in {gen_s:.1f} s, COPY in {load_s:.1f} s)")
        out.append("movements: " + ", ".join(f"{k}/{o} {n:,}" for (k, o), n in sorted(ds.kinds.items())))
        print(out[-2], flush=True)

        pool = await db.create_pool(dsn, max_size=POOL_SIZE)
        await pool.execute("SELECT 1")

        # 1. the real digest run, untraced (time, RSS), then again under tracemalloc (peak)
        gc.collect()
        rss_before, maxrss_before = rss_now_kib(), maxrss_kib()
        report, run_s = await timed_run(pool)
        rss_after, maxrss_after = rss_now_kib(), maxrss_kib()
        await check_run(checks, pool, report, groups, "digests.run")
        bytes_mail = await pool.fetchval(
            "SELECT sum(length(body_text) + length(coalesce(body_html, ''))) FROM deliveries")
        out.append(f"digests.run: {report.mails:,} digests ({report.families:,} family+structure, "
                   f"{report.waiting} waiting) in {run_s:.2f} s = {report.mails / run_s:,.0f} digests/s, "
                   f"{ds.lines / run_s:,.0f} movements/s; mail bodies {bytes_mail / max(report.mails, 1) / 1024:.1f} "
                   f"KiB/digest on average (text + html)")
        out.append(f"  RSS: {mib(rss_before)} before, {mib(rss_after)} after; ru_maxrss {mib(maxrss_before)} "
                   f"before, {mib(maxrss_after)} after (+{mib(maxrss_after - maxrss_before)})")
        print(out[-2], flush=True)

        await reset_digests(pool)
        gc.collect()
        tracemalloc.start()
        traced_report, traced_s = await timed_run(pool)
        _, peak = tracemalloc.get_traced_memory()
        tracemalloc.stop()
        await check_run(checks, pool, traced_report, groups, "digests.run, second (traced)")
        out.append(f"  tracemalloc peak during a second run: {peak / 2**20:,.1f} MiB "
                   f"({traced_report.mails:,} digests, {traced_s:.2f} s with tracing on)")
        print(out[-1], flush=True)

        # 2. the same digests without the database
        built, build_s, _ = build_in_memory(ds, parse=False)
        built_p, parse_build_s, _ = build_in_memory(ds, parse=True)
        checks.check(built == built_p == groups, f"build_digest in memory: {built} and {built_p} (parsing the JSON) "
                                                 f"digests, {groups} expected")
        out.append(f"build_digest in memory (no SQL): {built:,} digests in {build_s:.2f} s = "
                   f"{built / build_s:,.0f}/s; with JSON parsing of the payloads {parse_build_s:.2f} s = "
                   f"{built_p / parse_build_s:,.0f}/s")
        share = parse_build_s / run_s
        out.append(f"  so of digests.run's {run_s:.2f} s: about {parse_build_s:.2f} s ({share:.0%}) parsing + "
                   f"rendering, {max(0.0, run_s - parse_build_s):.2f} s ({max(0.0, 1 - share):.0%}) SQL, "
                   f"round trips and transactions (one connection, one family+structure at a time)")
        print(out[-1], flush=True)

        # 3. handing them to SMTP
        # 3. handing them to SMTP
        passes = await smtp_passes(checks, pool, dsn, send_s, groups, args.quick, out)
    finally:
        if pool is not None:
            await pool.close()
        admin = await asyncpg.connect(f"{PG}/postgres")
        try:
            await admin.execute(f'DROP DATABASE IF EXISTS "{db.database_name(dsn)}" WITH (FORCE)')
        finally:
            await admin.close()

    print()
    print(f"morning digests, {datetime.now():%Y-%m-%d}, {s.families:,} families / {s.movements:,} movements "
          f"(total {time.perf_counter() - t_start:.0f} s)")
    for line in out:
        print(("- " if not line.startswith("  ") else "  ") + line.strip())
    checks.result("digests_families", s.families)
    checks.result("digests_expected", groups)
    checks.result("digests_built", report.mails)
    checks.result("digests_build_s", run_s)
    checks.result("digests_build_per_s", report.mails / run_s)
    checks.result("digests_render_s", parse_build_s)
    checks.result("digests_send_null_1_per_s", passes[0].rate)
    checks.result(f"digests_send_null_{SESSIONS}_per_s", passes[1].rate)
    checks.result("digests_send_null_ratio", passes[1].rate / passes[0].rate if passes[0].rate else float("nan"))
    checks.result("digests_send_per_s", passes[-1].rate)
    checks.result("digests_mail_sent", sum(p.sent for p in passes))
    checks.result("digests_mail_unsent", sum(p.deliveries - p.sent for p in passes))
    checks.result("digests_mail_failed", sum(p.failed for p in passes))
    checks.result("digests_mail_mismatched", sum(mismatched(p) for p in passes))
    return checks.finish()


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.digests", description=package.__doc__.splitlines()[0])
    parser.add_argument("--families", type=int, default=None, help="default 5000 (200 with --quick)")
    parser.add_argument("--movements", type=int, default=None, help="default 100000 (4000 with --quick)")
    parser.add_argument("--quick", action="store_true", help="small sizes, a smoke check (< 30 s)")
    parser.add_argument("--send-seconds", type=float, default=None,
                        help=f"time limit of each SMTP pass (default {SEND_TIMEOUT_S} s, {QUICK_SEND_TIMEOUT_S} s with --quick, "
                             "where every pass must send everything)")
    parser.add_argument("--seed", type=int, default=2027)
    return parser.parse_args(argv)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
