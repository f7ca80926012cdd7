"""The fault run (`python -m bench.faults`): runs the chosen scenarios one after another on scratch resources,
prints each one's RESULT line(s) as it ends, removes the resources (also on failure, Ctrl-C or SIGTERM), and
ends with the loss accounting of them all, `RESULT lost=… duplicated=… half_written=… repeated_mails=…`; the
exit status is 1 when anything was lost, duplicated or half-written, or a scenario broke another promise or
did not finish."""

from __future__ import annotations

import argparse
import asyncio
import contextlib
import signal
import sys
import tempfile
import time
import traceback
import uuid
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

from bench import fault_scenarios as fs
from bench.common import drop_databases
from bench.faults.booking_drain import booking_sigterm
from bench.faults.digest_crash import digest_kill9

# in the order they run; broker_down last, so that its private node, started at once in a thread, is up by then
SCENARIOS = ("digest_kill9", "booking_sigterm", "start_order", "kill9", "broker_down")
BUS_SCENARIOS = ("start_order", "kill9", "broker_down")  # bench/fault_scenarios/ (also `python -m bench.faults_bus`)


@dataclass
class Totals:
    """The loss accounting over every scenario run, and every broken promise."""

    lost: int = 0
    duplicated: int = 0
    half_written: int = 0
    repeated_mails: int = 0
    runs: int = 0
    failures: list[str] = field(default_factory=list)

    def add_tally(self, tally: fs.Tally) -> None:
        """A bus scenario's tally: its counts, its RESULT lines, its details (stderr)."""
        self.runs += 1
        self.lost += tally.total_lost
        self.duplicated += tally.total_duplicated
        print(f"  {tally.details()}", file=sys.stderr, flush=True)
        for line in tally.result_lines():
            print(line, flush=True)
        if not tally.ok():
            self.failures.append(f"{tally.scenario}: lost={tally.total_lost} duplicated={tally.total_duplicated}")

    def result_line(self) -> str:
        return (f"RESULT lost={self.lost} duplicated={self.duplicated} half_written={self.half_written} "
                f"repeated_mails={self.repeated_mails}")

    def failed(self) -> bool:
        return bool(self.lost or self.duplicated or self.half_written or self.failures)


def sizes(args: argparse.Namespace) -> dict[str, dict]:
    """Each scenario's arguments: full size (the tests' sizes for digest_kill9 and booking_sigterm), or
    smaller with --quick; --families, --kills, --baskets, --lines override digest_kill9's and booking_sigterm's."""
    q = args.quick
    return {
        "digest_kill9": {"families": args.families or (150 if q else 300), "kills": args.kills or (3 if q else 5)},
        "booking_sigterm": {"baskets": args.baskets or 100, "lines": args.lines or 6},
        "start_order": {"families": 12 if q else 40, "gap": 0.3 if q else 0.5},
        "kill9": {"families": 60 if q else 200, "transmissions": 60 if q else 200, "kills": 1 if q else 3,
                  "span": 6.0 if q else 20.0, "timeout": 60 if q else 120},
        "broker_down": {"families": 40 if q else 150, "days": 3, "capacity": 25 if q else 100,
                        "spread": 4.0 if q else 8.0},
    }


async def run(args: argparse.Namespace) -> int:
    from kit.logging import configure_logging

    configure_logging("faults", "WARNING")
    run_id = uuid.uuid4().hex[:8]
    prefix = f"faults{run_id}_"  # every scratch database of the run starts with it
    chosen = [name for name in SCENARIOS if name in (args.scenarios or SCENARIOS)]
    size = sizes(args)
    totals = Totals()
    vhosts: list[str] = []
    node: fs.PrivateNode | None = None
    starting: asyncio.Task | None = None
    started = time.monotonic()

    def say(message: str) -> None:
        print(f"  {message}", file=sys.stderr, flush=True)

    async def attempt(name: str, scenario: Callable[[], Awaitable[None]]) -> None:
        """One scenario, bounded by --scenario-timeout (cancelled then: its own clean-up runs); one that raises
        or runs out of time is a broken promise too, and the others still run."""
        t0 = time.monotonic()
        say(f"-- {name}")
        try:
            await asyncio.wait_for(scenario(), args.scenario_timeout)
        except Exception as exc:  # noqa: BLE001 - reported, counted as a failure, the run goes on
            elapsed = time.monotonic() - t0
            if isinstance(exc, TimeoutError) and elapsed >= args.scenario_timeout:
                reason = f"still running after {args.scenario_timeout:.0f} s (--scenario-timeout), cancelled"
            else:
                traceback.print_exc()
                reason = f"{type(exc).__name__}: {exc}"
            totals.failures.append(f"{name}: did not finish: {reason}"[:500])
        say(f"-- {name}: {time.monotonic() - t0:.1f} s")

    @contextlib.asynccontextmanager
    async def scratch_vhost(name: str, topology: bool = False) -> AsyncIterator[str]:
        """A virtual host of one scenario on the shared node, deleted as soon as the scenario ends (fewer queues
        on the shared node at a time); the final clean-up deletes it again if that was cut short."""
        vhosts.append(name)
        url = await fs.add_vhost(name, topology=topology)
        try:
            yield url
        finally:
            await fs.delete_vhost(name)

    async def digest() -> None:
        async with scratch_vhost(f"faults-{run_id}-digest") as url:  # no topology step: notify declares its own
            result = await digest_kill9(fs.PG, url, prefix, work, **size["digest_kill9"],
                                        log=lambda m: say(f"digest_kill9: {m}"))
        totals.runs += 1
        totals.lost += result.lost
        totals.duplicated += result.duplicated
        totals.repeated_mails += result.repeated
        totals.failures += [f"digest_kill9: {p}" for p in result.failures()]
        print(result.result_line(), flush=True)

    async def sigterm() -> None:
        async with scratch_vhost(f"faults-{run_id}-sigterm") as url:
            result = await booking_sigterm(fs.PG, url, prefix, work, **size["booking_sigterm"],
                                           log=lambda m: say(f"booking_sigterm: {m}"))
        totals.runs += 1
        totals.lost += result.lost
        totals.half_written += result.half_written
        totals.failures += [f"booking_sigterm: {p}" for p in result.failures()]
        print(result.result_line(), flush=True)

    async def orders() -> None:
        for n, (name, order) in enumerate(fs.ORDERS.items(), 1):
            say(f"order {' → '.join(order)}")
            async with scratch_vhost(f"faults-{run_id}-order{n}") as url:  # fresh: the topology step NOT run
                tally = await fs.start_order(name, order, url, fs.PG, f"{prefix}so{n}_", work, **size["start_order"])
            totals.add_tally(tally)

    async def kills() -> None:
        async with scratch_vhost(f"faults-{run_id}-kill9", topology=True) as url:  # as `make run` does
            tally = await fs.kill9(url, fs.PG, f"{prefix}k9_", work, **size["kill9"])
        totals.add_tally(tally)

    async def outage() -> None:
        assert node is not None and starting is not None
        await starting
        url = await node.add_vhost("faults-bus")
        totals.add_tally(await fs.broker_down(node, url, fs.PG, f"{prefix}bd_", work, **size["broker_down"]))

    steps = {"digest_kill9": digest, "booking_sigterm": sigterm, "start_order": orders, "kill9": kills,
             "broker_down": outage}
    try:
        with tempfile.TemporaryDirectory(prefix="faults-") as tmp:
            work = Path(tmp)
            if "broker_down" in chosen:  # started first, in a thread: its few seconds overlap the other scenarios
                node = fs.PrivateNode()
                starting = asyncio.create_task(asyncio.to_thread(node.start))
            for name in chosen:
                await attempt(name, steps[name])
            if args.keep_logs and totals.failed():
                for log_file in sorted(work.glob("*.log")):
                    print(f"--- {log_file.name} ---\n{log_file.read_text()[-4000:]}", file=sys.stderr)
    finally:
        if starting is not None:
            with contextlib.suppress(Exception):  # a node that failed to start has stopped itself
                await starting
        if node is not None:
            await asyncio.to_thread(node.stop)
        for name in vhosts:
            await fs.delete_vhost(name)
        await drop_databases(fs.PG, prefix)
    print(totals.result_line(), flush=True)
    for failure in totals.failures:
        print(f"bench.faults: FAILED: {failure}", file=sys.stderr)
    verdict = "FAILED" if totals.failed() else "nothing lost, nothing duplicated, nothing half-written"
    print(f"bench.faults: {totals.runs} scenario runs in {time.monotonic() - started:.1f} s: {verdict}",
          file=sys.stderr)
    return 1 if totals.failed() else 0


def parse(argv: Sequence[str] | None = None, choices: Sequence[str] = SCENARIOS,
          prog: str = "python -m bench.faults") -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog=prog, description="Fault scenarios (issue 14): processes killed or stopped "
                                     "mid-work, and the loss accounting of them all.")
    parser.add_argument("scenarios", nargs="*", help=f"among {', '.join(choices)} (default: all)")
    parser.add_argument("--quick", action="store_true", help="smaller runs (a few minutes in all)")
    if "digest_kill9" in choices:
        parser.add_argument("--families", type=int, default=None,
                            help="digest_kill9: families (default 300, 150 with --quick)")
        parser.add_argument("--kills", type=int, default=None, help="digest_kill9: SIGKILLs (default 5, 3 with --quick)")
    if "booking_sigterm" in choices:
        parser.add_argument("--baskets", type=int, default=None,
                            help="booking_sigterm: concurrent baskets (default 100)")
        parser.add_argument("--lines", type=int, default=None, help="booking_sigterm: lines per basket (default 6)")
    parser.add_argument("--keep-logs", action="store_true", help="print the processes' logs when a check fails")
    parser.add_argument("--scenario-timeout", type=float, default=600,
                        help="seconds one scenario may run before it is cancelled and counted as failed (default 600)")
    parser.set_defaults(families=None, kills=None, baskets=None, lines=None)
    args = parser.parse_args(argv)
    unknown = set(args.scenarios) - set(choices)
    if unknown:
        parser.error(f"unknown scenario(s): {', '.join(sorted(unknown))}")
    args.scenarios = args.scenarios or list(choices)
    return args


async def main(args: argparse.Namespace) -> int:
    """`run`, cancelled on SIGTERM as on Ctrl-C, so that its clean-up (node, virtual hosts, databases) runs."""
    task = asyncio.current_task()
    assert task is not None
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, task.cancel)
    return await run(args)
