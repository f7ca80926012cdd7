"""Issue 14, fault tests: RabbitMQ's application stopped while parents confirm baskets and the nightly
transmission runs, then started again, on a RabbitMQ node of the test session's own (tests/conftest.py
`private_rabbitmq`; the machine's node is never stopped). Every basket line answered is recorded, every
transmitted movement reaches billing once (0 lost, 0 duplicated consumption lines) and notify once. The
scenario is bench/fault_scenarios.py `broker_down` (also run by `python -m bench.faults_bus`)."""

from __future__ import annotations

import uuid

from bench.fault_scenarios import broker_down
from tests.conftest import PG_URL


async def test_broker_stopped_while_baskets_are_confirmed_and_transmitted_loses_and_duplicates_nothing(
        private_rabbitmq, db_prefix, tmp_path):
    url = await private_rabbitmq.add_vhost(f"down-{uuid.uuid4().hex[:6]}")
    tally = await broker_down(private_rabbitmq, url, PG_URL, f"{db_prefix}bd_", tmp_path, families=60, days=3,
                              capacity=40)
    print(f"\n{tally.details()}")
    # the outage really happened in the middle: events waited in booking's outbox, baskets were answered
    assert tally.figures["pending_while_down"] > 0
    assert tally.figures["answered_200"] == 60 and tally.figures["transmitted_lines"] == 180
    assert tally.total_lost == 0, tally.details()
    assert tally.total_duplicated == 0, tally.details()
