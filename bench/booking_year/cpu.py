"""The CPU the processes of a measurement spent, read from /proc (a figure that holds when other work loads the
machine, unlike the rates): each service this benchmark started, PostgreSQL's server processes, and the benchmark's
own process (the load generator)."""

from __future__ import annotations

import os
from pathlib import Path

SERVICES = ("gateway", "booking", "auth")


def services_cpu() -> dict[str, float]:
    """CPU seconds (user + system) spent so far by each service process this benchmark started
    (`python -m services.<name>`, bench/booking_year/portal.py; the latest started of a name: the portal's
    booking, not the one measured alone before); empty without /proc."""
    found: dict[str, tuple[int, float]] = {}  # name: (start time, CPU seconds)
    me, tick = os.getpid(), os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
            fields = stat[stat.rindex(")") + 2:].split()  # after "pid (comm) "
            if int(fields[1]) != me:  # the parent's pid
                continue
            args = (entry / "cmdline").read_bytes().split(b"\0")
        except (OSError, ValueError):  # gone meanwhile
            continue
        for name in SERVICES:
            started = int(fields[19])
            if f"services.{name}".encode() in args and started >= found.get(name, (-1, 0.0))[0]:
                found[name] = (started, (int(fields[11]) + int(fields[12])) / tick)
    return {name: cpu for name, (_, cpu) in found.items()}


def cpu_per_request(before: dict[str, float], after: dict[str, float], requests: int) -> dict[str, float]:
    """Milliseconds of CPU per request of each service between two readings of `services_cpu`."""
    return {name: (after[name] - before.get(name, 0.0)) * 1000 / requests for name in after if requests}


def postgres_cpu() -> float:
    """CPU seconds spent so far by the PostgreSQL server's processes (all of them: the benchmark's databases are
    the only ones at work); 0 without /proc."""
    total, tick = 0.0, os.sysconf("SC_CLK_TCK")
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            stat = (entry / "stat").read_text()
        except OSError:
            continue
        if stat[stat.index("(") + 1:].startswith("postgres"):
            fields = stat[stat.rindex(")") + 2:].split()
            total += (int(fields[11]) + int(fields[12])) / tick
    return total


def machine_cpu() -> dict[str, float]:
    """CPU seconds so far: each service, PostgreSQL, and this process (the load generator)."""
    own = os.times()
    return {**services_cpu(), "postgres": postgres_cpu(), "load_generator": own.user + own.system}
