"""What the benchmarks and the fault scenarios share: how they end (`RESULT name=number` lines, then their
own checks), how they call `rabbitmqctl` without blocking the event loop, a free local port, and the removal
of their scratch databases.

Every benchmark ends by printing its headline figures, one `RESULT <name>=<number>` line each (a plain
number, the unit is in the name and in bench/README.md), and then the outcome of its own checks: a
failed check is printed on stderr and, in smoke mode, makes the process exit with status 1. Timings
are printed, never checked.
"""

from __future__ import annotations

import asyncio
import math
import re
import socket
import sys
from pathlib import Path

import asyncpg

ROOT = Path(__file__).resolve().parent.parent  # the repository (`python -m services.<name>` runs from there)
NAME = re.compile(r"^[a-z][a-z0-9_]*$")


def number(value: float) -> str:
    """A plain number: integers as they are, floats with at most 3 decimals (1 from 1,000 on)."""
    if isinstance(value, bool):
        value = int(value)
    if isinstance(value, int):
        return str(value)
    if math.isnan(value) or math.isinf(value):
        return "nan"
    text = f"{value:.3f}" if abs(value) < 1000 else f"{value:.1f}"
    return text.rstrip("0").rstrip(".") if "." in text else text


class Report:
    """The RESULT lines and the checks of one benchmark run.

    `strict` (smoke mode): a failed check fails the run. Otherwise failed checks are printed as
    warnings and the exit status stays 0 (a full-size run may hit limits on purpose, e.g. timeouts)."""

    def __init__(self, bench: str, strict: bool):
        self.bench, self.strict = bench, strict
        self.results: dict[str, str] = {}
        self.failures: list[str] = []

    def result(self, name: str, value: float) -> None:
        if not NAME.match(name):
            raise ValueError(f"bad RESULT name {name!r}")
        if name in self.results:
            raise ValueError(f"RESULT {name} given twice")
        self.results[name] = number(value)

    def check(self, ok: bool, message: str) -> bool:
        """Record `message` as a failure unless `ok`. Returns `ok`."""
        if not ok:
            self.failures.append(message)
        return ok

    def finish(self) -> int:
        """Print the RESULT lines (stdout) and the failed checks (stderr); the process's exit status."""
        sys.stdout.flush()
        for name, value in self.results.items():
            print(f"RESULT {name}={value}")
        sys.stdout.flush()
        if not self.failures:
            print(f"{self.bench}: all checks passed", file=sys.stderr)
            return 0
        verdict = "FAILED" if self.strict else "WARNING (not fatal outside smoke mode)"
        for failure in self.failures:
            print(f"{self.bench}: {verdict}: {failure}", file=sys.stderr)
        return 1 if self.strict else 0


async def rabbitmqctl(*args: str, check: bool = True, timeout: float = 60) -> str:
    """`rabbitmqctl -q ARGS` in a subprocess, awaited without blocking the event loop. Returns stdout;
    raises RuntimeError on a non-zero status when `check`, TimeoutError after `timeout` seconds."""
    proc = await asyncio.create_subprocess_exec("rabbitmqctl", "-q", *args, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except BaseException:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    if check and proc.returncode:
        raise RuntimeError(f"rabbitmqctl {' '.join(args)}: exit status {proc.returncode}: "
                           f"{err.decode(errors='replace').strip()[:500]}")
    return out.decode(errors="replace")


def free_port() -> int:
    """A TCP port free on 127.0.0.1 right now."""
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


async def drop_databases(pg_url: str, prefix: str) -> None:
    """Drop every database whose name starts with `prefix` (a run's scratch databases), even if in use."""
    conn = await asyncpg.connect(f"{pg_url}/postgres")
    try:
        for row in await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1", prefix + "%"):
            await conn.execute(f'DROP DATABASE "{row["datname"]}" WITH (FORCE)')
    finally:
        await conn.close()
