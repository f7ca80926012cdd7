"""What every bus scenario runs on: where PostgreSQL and RabbitMQ are (the tests' environment variables), the
services and the fixed dates, and scratch virtual hosts (with or without the topology step) added and deleted
on the shared node or on a private one."""

from __future__ import annotations

import asyncio
import os
import sys
from datetime import UTC, date, datetime

PG = os.environ.get("PORTAIL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
AMQP_HOST = os.environ.get("PORTAIL_TEST_AMQP_HOST", "127.0.0.1:5672")
SERVICES = ("auth", "booking", "billing", "notify", "dossier")
FIRST_DAY = date(2098, 3, 2)  # far ahead: booking's deadlines are open whatever the day
TRANSMITTED_AT = datetime(2098, 3, 1, 3, 0, tzinfo=UTC)
PAYMENT_SECRET = "faults-payment-provider-secret-0123456789"


def say(message: str) -> None:
    print(f"  [faults] {message}", file=sys.stderr, flush=True)


async def ctl(*args: str, node: str | None = None, check: bool = True, timeout: float = 120) -> str:
    """`rabbitmqctl [-n node] -q ARGS` without blocking the event loop."""
    command = ["rabbitmqctl", *(["-n", node] if node else []), "-q", *args]
    proc = await asyncio.create_subprocess_exec(*command, stdout=asyncio.subprocess.PIPE,
                                                stderr=asyncio.subprocess.PIPE)
    try:
        out, err = await asyncio.wait_for(proc.communicate(), timeout)
    except BaseException:
        if proc.returncode is None:
            proc.kill()
            await proc.wait()
        raise
    if check and proc.returncode != 0:
        raise RuntimeError(f"{' '.join(command)}: {err.decode(errors='replace').strip()}")
    return out.decode()


async def add_vhost(vhost: str, node: str | None = None, host: str = AMQP_HOST, topology: bool = False) -> str:
    """A virtual host (on the shared node unless `node`), guest allowed; with `topology`, the topology step
    run on it (`python -m services.topology declare`, as `make run` does). Returns its URL."""
    await ctl("add_vhost", vhost, node=node)
    await ctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*", node=node)
    url = f"amqp://guest:guest@{host}/{vhost}"
    if topology:
        try:
            from services.topology import declare, portal_topology

            await declare(url, portal_topology())
        except BaseException:
            await delete_vhost(vhost, node=node)
            raise
    return url


async def delete_vhost(vhost: str, node: str | None = None) -> None:
    await ctl("delete_vhost", vhost, node=node, check=False)

