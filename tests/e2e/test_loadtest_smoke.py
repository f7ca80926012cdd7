"""The shipped load generator (loadtest/) at smoke size on the real stack: a few dozen parents run the whole
rentrée scenario (sign in, calendar, a 40-line basket, recap, confirmation through the waiting room when it
shows, suivi) headless with Locust; the run counts errors, never timings. As on the real rush, each parent
comes from an address of its own: the gateway trusts the load generator as its proxy (an ingress's place)
and believes the X-Forwarded-For each simulated parent sends; sign-in throttling per address stays as it is
(from one shared address, 30 parents signing in at once are, rightly, more than it lets through)."""

from __future__ import annotations

import asyncio
import csv
import os
import sys
from pathlib import Path

import pytest

from loadtest.seed import seed
from services.auth import demo
from tests.portal import portal

ROOT = Path(__file__).resolve().parents[2]
PARENTS = 30


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    """The portal, its gateway behind a proxy at 127.0.0.1 (where Locust runs) as behind an ingress."""
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("loadtest"),
                      gateway={"trusted_proxies": "127.0.0.1/32"}) as p:
        yield p


async def test_a_few_dozen_parents_run_the_rentree_without_an_error(site, tmp_path):
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
