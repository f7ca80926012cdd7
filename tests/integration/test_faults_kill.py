"""Issue 14, fault tests: billing, notify and booking as processes (`python -m services.<name>`, the
environment of tools/devstack.py), a few hundred events flowing, each consumer killed with SIGKILL in the middle
of its work and started again: every effect row is there once per event (the inbox makes redeliveries
no-ops). The scenario is bench/fault_scenarios.py `kill9` (also run by `python -m bench.faults_bus`)."""

from __future__ import annotations

import uuid

from bench.fault_scenarios import add_vhost, delete_vhost, kill9
from tests.conftest import PG_URL, RUN_ID


async def test_consumers_killed_with_sigkill_mid_stream_lose_and_duplicate_nothing(db_prefix, tmp_path):
    vhost = f"portail-test-{RUN_ID}-kill9-{uuid.uuid4().hex[:4]}"
    url = await add_vhost(vhost, topology=True)  # as `make run` does before starting the services
    try:
        tally = await kill9(url, PG_URL, f"{db_prefix}k9_", tmp_path, families=120, transmissions=120, kills=2)
    finally:
        await delete_vhost(vhost)
    print(f"\n{tally.details()}")
    assert tally.figures["kills"] == 6  # billing, notify and booking, twice each
    assert tally.total_lost == 0, tally.details()
    assert tally.total_duplicated == 0, tally.details()
