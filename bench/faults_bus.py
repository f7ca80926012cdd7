"""`python -m bench.faults_bus [--quick] [start_order kill9 broker_down]`: the bus scenarios only (every start
order without the topology step, each consumer killed with SIGKILL mid-stream, the broker's application
stopped on a node of the run's own), as `python -m bench.faults start_order kill9 broker_down` runs them:
the same RESULT lines, the same totals `RESULT lost=… duplicated=… half_written=… repeated_mails=…`, exit
status 1 if any is not 0. Kept for the tests' docstrings and habits; `python -m bench.faults` runs these and
the other fault scenarios."""

from __future__ import annotations

import asyncio
import sys

from bench.faults.runner import BUS_SCENARIOS, main, parse

if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse(choices=BUS_SCENARIOS, prog="python -m bench.faults_bus"))))
