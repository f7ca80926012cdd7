"""Fault scenarios on the bus (issue 14, "nothing lost from the first second"), each counting the lost and
the duplicated effects explicitly. One package for the tests (tests/integration/test_faults_*.py) and the
script (`python -m bench.faults`, which runs them with the other fault scenarios):

- `start_order`: a fresh virtual host, the topology step NOT run (a newcomer starting the services by
  hand): auth, booking, billing, notify and dossier started in-process in a given order while families
  are created in auth (by its own code path before it runs, then through its internal API too); then
  every consumer's copy of the families, children, structures and contacts is compared with auth's facts.
- `broker_down`: a RabbitMQ node of our own (`PrivateNode`), booking + billing + notify on it; baskets
  confirmed through booking's internal API and the nightly transmission run while the node's
  application is stopped; started again; every basket line answered is recorded, every transmitted
  movement reached billing once (consumption lines once) and notify once.
- `kill9`: auth, booking, billing and notify as processes (`python -m services.<name>`, environment built
  by tools/devstack.py); a few hundred events flowing (families created in auth, transmissions written in
  booking's outbox); each consumer killed with SIGKILL in the middle of its work and started again; effect
  rows counted against the events.

Every scenario returns a `Tally`: per effect, how many are missing or wrong (lost) and how many are there
more than once or should not be there at all (duplicated). Dates are fixed far ahead: nothing depends on
the day it runs.

One module per job: `scratch` (where PostgreSQL and RabbitMQ are, virtual hosts), `private_node`,
`accounting` (`Tally`, `converge`), `inprocess` (services in this process), `families` (auth's facts written),
`copies` (the effects checked against their owner), and one module per scenario: `orders` (`start_order`),
`outage` (`broker_down`), `crashes` (`kill9`). What the tests and the script use is imported here.
"""

from bench.fault_scenarios.accounting import Tally
from bench.fault_scenarios.crashes import kill9
from bench.fault_scenarios.orders import ORDERS, start_order
from bench.fault_scenarios.outage import broker_down
from bench.fault_scenarios.private_node import PrivateNode
from bench.fault_scenarios.scratch import AMQP_HOST, PG, add_vhost, delete_vhost

__all__ = ["AMQP_HOST", "ORDERS", "PG", "PrivateNode", "Tally", "add_vhost", "broker_down", "delete_vhost", "kill9",
           "start_order"]
