"""A service run as a subprocess for the fault scenarios (`python -m services.<name>` with its settings in the
environment, its output in a log file): started until ready, killed with SIGKILL, sent SIGTERM, awaited; and
a counter read from its /metrics."""

from __future__ import annotations

import asyncio
import contextlib
import os
import signal
import sys
import time
from pathlib import Path

import aiohttp

from bench.common import ROOT, free_port


class Process:
    """`python -m services.<name>` with its settings in the environment, its output in a log file."""

    def __init__(self, name: str, env: dict[str, str], log_path: Path):
        self.name, self.log_path = name, log_path
        self.port = int(env["PORTAIL_HTTP_PORT"])
        base = {k: v for k, v in os.environ.items() if not k.startswith("PORTAIL_")}
        self.env = {**base, "PYTHONUNBUFFERED": "1", **env}
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self, timeout: float = 60) -> None:
        self.starts += 1
        with self.log_path.open("a") as out:
            out.write(f"\n===== start {self.starts} =====\n")
            out.flush()
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", f"services.{self.name}", cwd=ROOT, env=self.env, stdout=out,
                stderr=asyncio.subprocess.STDOUT)
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession() as http:
            while True:
                if self.proc.returncode is not None:
                    raise RuntimeError(f"{self.name} exited at start ({self.proc.returncode}), see {self.log_path}")
                with contextlib.suppress(aiohttp.ClientError, OSError):
                    async with http.get(f"{self.url}/readyz") as resp:
                        if resp.status == 200:
                            return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} not ready after {timeout}s, see {self.log_path}")
                await asyncio.sleep(0.1)

    async def kill(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()

    def terminate(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGTERM)

    async def wait(self, timeout: float) -> int:
        assert self.proc is not None
        try:
            return await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            await self.stop()
            raise TimeoutError(f"{self.name} still running {timeout}s after SIGTERM, see {self.log_path}") from None

    async def stop(self) -> None:
        """Whatever happened: the process is gone afterwards."""
        if self.proc is not None and self.proc.returncode is None:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()


def service_env(name: str, pg_url: str, db_name: str, amqp_url: str, secret: str, **extra: str) -> dict[str, str]:
    return {"PORTAIL_DATABASE_URL": f"{pg_url}/{db_name}", "PORTAIL_AMQP_URL": amqp_url,
            "PORTAIL_IDENTITY_SECRET": secret, "PORTAIL_HTTP_HOST": "127.0.0.1",
            "PORTAIL_HTTP_PORT": str(free_port()), "PORTAIL_LOG_LEVEL": "WARNING",
            "PORTAIL_OUTBOX_POLL_SECONDS": "0.2", **extra}


async def metric(url: str, name: str) -> float:
    """A counter of the process's /metrics (0 when absent or the process does not answer)."""
    with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=5)) as http, \
                http.get(f"{url}/metrics") as resp:
            for line in (await resp.text()).splitlines():
                if line.startswith(name + " "):
                    return float(line.split()[1])
    return 0.0
