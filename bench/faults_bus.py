"""Fault scenarios on the bus, outside pytest (issue 14): every start order without the topology step, the
broker's application stopped while baskets are confirmed and transmitted, each consumer killed with SIGKILL
mid-stream. Each counts the lost and the duplicated effects (bench/fault_scenarios.py, the code the tests
tests/integration/test_faults_*.py run).

    uv run python -m bench.faults_bus            # full size
    uv run python -m bench.faults_bus --quick    # smaller, about a minute
    uv run python -m bench.faults_bus start_order kill9

Prints, per scenario, its accounting (on stderr) and `RESULT <scenario>_lost=…`, `RESULT <scenario>_duplicated=…`
(start_order: one pair per order), then `RESULT lost=… duplicated=…` in total; the exit status is 1 when any is
not 0. Scratch resources (virtual hosts on the machine's RabbitMQ, `faultsbus<run>_*` databases, a RabbitMQ
node of its own for the outage, which it stops) are removed at the end, also on failure or Ctrl-C.
"""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import sys
import tempfile
import time
import uuid
from collections.abc import Sequence
from pathlib import Path

from bench import fault_scenarios as fs

SCENARIOS = ("start_order", "broker_down", "kill9")


async def run(args: argparse.Namespace) -> int:
    from kit.logging import configure_logging

    configure_logging("faults_bus", "WARNING")
    run_id = uuid.uuid4().hex[:8]
    prefix = f"faultsbus{run_id}_"
    vhosts: list[str] = []
    node: fs.PrivateNode | None = None
    starting: asyncio.Task | None = None
    tallies: list[fs.Tally] = []
    started = time.monotonic()
    scenarios = args.scenarios or SCENARIOS
    try:
        with tempfile.TemporaryDirectory(prefix="faults-bus-") as tmp:
            work = Path(tmp)
            if "broker_down" in scenarios:  # started first, in a thread: its few seconds overlap the other scenario
                node = fs.PrivateNode()
                starting = asyncio.create_task(asyncio.to_thread(node.start))
            if "start_order" in scenarios:
                for n, (name, order) in enumerate(fs.ORDERS.items(), 1):
                    vhost = f"faultsbus-{run_id}-order{n}"
                    vhosts.append(vhost)
                    url = await fs.add_vhost(vhost)  # fresh: the topology step NOT run
                    tally = await fs.start_order(name, order, url, fs.PG, f"{prefix}so{n}_", work,
                                                 families=12 if args.quick else 40, gap=0.3 if args.quick else 0.5)
                    tallies.append(tally)
                    print(f"  order {' → '.join(order)}\n  {tally.details()}", file=sys.stderr, flush=True)
            if "kill9" in scenarios:
                vhost = f"faultsbus-{run_id}-kill9"
                vhosts.append(vhost)
                url = await fs.add_vhost(vhost, topology=True)  # as `make run` does
                tally = await fs.kill9(url, fs.PG, f"{prefix}k9_", work, families=60 if args.quick else 200,
                                       transmissions=60 if args.quick else 200, kills=1 if args.quick else 3,
                                       span=6.0 if args.quick else 20.0, timeout=60 if args.quick else 120)
                tallies.append(tally)
                print(f"  {tally.details()}", file=sys.stderr, flush=True)
            if "broker_down" in scenarios:
                assert node is not None
                await starting
                url = await node.add_vhost("faults-bus")
                tally = await fs.broker_down(node, url, fs.PG, f"{prefix}bd_", work,
                                             families=40 if args.quick else 150, days=3,
                                             capacity=25 if args.quick else 100, spread=4.0 if args.quick else 8.0)
                tallies.append(tally)
                print(f"  {tally.details()}", file=sys.stderr, flush=True)
            if args.keep_logs and not all(t.ok() for t in tallies):
                for log_file in sorted(work.glob("*.log")):
                    print(f"--- {log_file.name} ---\n{log_file.read_text()[-4000:]}", file=sys.stderr)
    finally:
        if starting is not None:
            with contextlib.suppress(Exception):  # a node that failed to start has stopped itself
                await starting
        if node is not None:
            await asyncio.to_thread(node.stop)
        for vhost in vhosts:
            await fs.delete_vhost(vhost)
        await fs.drop_databases(prefix)
    lost = sum(t.total_lost for t in tallies)
    duplicated = sum(t.total_duplicated for t in tallies)
    for tally in tallies:
        for line in tally.result_lines():
            print(line)
    print(f"RESULT lost={lost} duplicated={duplicated}")
    print(f"faults_bus: {len(tallies)} scenario runs in {time.monotonic() - started:.1f} s: "
          + ("nothing lost, nothing duplicated" if not lost and not duplicated else "FAILED"), file=sys.stderr)
    return 1 if lost or duplicated else 0


def parse(argv: Sequence[str] | None = None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="python -m bench.faults_bus", description=__doc__.splitlines()[0])
    parser.add_argument("scenarios", nargs="*", help=f"among {', '.join(SCENARIOS)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller runs (about a minute)")
    parser.add_argument("--keep-logs", action="store_true", help="print the processes' logs when a count is not 0")
    args = parser.parse_args(argv)
    unknown = set(args.scenarios) - set(SCENARIOS)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    return args


async def main(args: argparse.Namespace) -> int:
    """`run`, cancelled on SIGTERM as on Ctrl-C, so that its clean-up (node, virtual hosts, databases) runs."""
    import signal

    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await run(args)


if __name__ == "__main__":
    sys.exit(asyncio.run(main(parse())))
