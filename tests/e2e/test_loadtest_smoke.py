"""The shipped load generator (loadtest/) at smoke size on the real stack: a few dozen parents run the whole
rentrée scenario (sign in, calendar, a 40-line basket, recap, confirmation through the waiting room when it
shows, suivi) headless with Locust; the run counts errors, never timings."""

from __future__ import annotations

import asyncio
import csv
import os
import sys
from pathlib import Path

from loadtest.seed import seed
from services.auth import demo
from tests.e2e.test_bookings import site  # noqa: F401 - the module's portal

ROOT = Path(__file__).resolve().parents[2]
PARENTS = 30


async def test_a_few_dozen_parents_run_the_rentree_without_an_error(site, tmp_path):  # noqa: F811
    accounts = tmp_path / "accounts.csv"
    await seed(site.url, PARENTS, ("agent.carteville", "Demo-Agent-2027"), str(demo.DEMO_STRUCTURE_ID), True,
               accounts)
    prefix = tmp_path / "stats"
    locust = await asyncio.create_subprocess_exec(
        sys.executable, "-m", "locust", "-f", str(ROOT / "loadtest" / "locustfile.py"), "--headless",
        "-u", str(PARENTS), "-r", str(PARENTS), "-t", "40s", "--host", site.url, "--csv", str(prefix),
        "--only-summary", "--stop-timeout", "30",
        env={**os.environ, "LOADTEST_ACCOUNTS": str(accounts), "LOADTEST_WAIT_LIMIT": "60"},
        stdout=asyncio.subprocess.PIPE, stderr=asyncio.subprocess.STDOUT, cwd=ROOT)
    output, _ = await asyncio.wait_for(locust.communicate(), 180)
    with (tmp_path / "stats_stats.csv").open(newline="") as f:
        stats = {row["Name"]: row for row in csv.DictReader(f)}
    failures = {name: int(row["Failure Count"]) for name, row in stats.items() if int(row["Failure Count"])}
    confirmed = sum(int(stats[name]["Request Count"]) for name in
                    ("confirmation: directe", "confirmation: après file d'attente") if name in stats)
    assert locust.returncode == 0 and not failures, output.decode()[-3000:]
    assert confirmed >= PARENTS // 2, output.decode()[-3000:]  # most parents went through the whole scenario
    assert int(stats["/reservations/suivi"]["Request Count"]) >= confirmed
