"""Issue 14, fault tests: every start order on a fresh virtual host (the topology step NOT run, as on a
newcomer's machine where the services are started by hand), with families created in auth during the
start-up. Every copy of auth's facts (booking's, billing's, notify's, dossier's) must equal auth's own:
0 lost, 0 duplicated. The scenario is bench/fault_scenarios.py `start_order` (also run by
`python -m bench.faults_bus`)."""

from __future__ import annotations

import itertools

import pytest

from bench.fault_scenarios import ORDERS, start_order
from tests.conftest import AMQP_HOST, PG_URL, RUN_ID, rabbitmqctl

_numbers = itertools.count(1)


@pytest.fixture
def fresh_vhost():
    """A virtual host of this test only, where nothing is declared (no topology step)."""
    vhost = f"portail-test-{RUN_ID}-order-{next(_numbers)}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    yield f"amqp://guest:guest@{AMQP_HOST}/{vhost}"
    rabbitmqctl("delete_vhost", vhost)


@pytest.mark.parametrize("order_name", list(ORDERS))
async def test_any_start_order_without_the_topology_step_loses_and_duplicates_nothing(
        order_name, fresh_vhost, db_prefix, tmp_path):
    order = ORDERS[order_name]
    tally = await start_order(order_name, order, fresh_vhost, PG_URL, f"{db_prefix}so{next(_numbers)}_", tmp_path,
                              families=24)
    print(f"\norder {' → '.join(order)}\n{tally.details()}")
    assert tally.figures["families"] == 24 and tally.figures["via_api"] > 0
    assert tally.total_lost == 0, tally.details()
    assert tally.total_duplicated == 0, tally.details()
