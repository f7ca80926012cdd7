"""A RabbitMQ node of a scenario's own (`PrivateNode`), so that its application can be stopped and started
again without disturbing the machine's shared node."""

from __future__ import annotations

import contextlib
import os
import shutil
import signal
import subprocess
import tempfile
import time
import uuid
from pathlib import Path

from bench.common import free_port
from bench.fault_scenarios.scratch import add_vhost, ctl


class PrivateNode:
    """A RabbitMQ node started for a fault scenario (`rabbitmq-server -detached`), so that stopping its
    application never disturbs the machine's shared node: a node name, an AMQP port and a distribution
    port of its own, its database and logs in a temporary directory, no plugin (the management plugin
    would fight for port 15672), a configuration file of its own (the system's binds 5672)."""

    def __init__(self) -> None:
        self.name = f"faults-{uuid.uuid4().hex[:8]}@localhost"
        self.port = free_port()
        self.dist_port = free_port()
        while self.dist_port == self.port:
            self.dist_port = free_port()
        self.dir: Path | None = None
        self.running = False

    @property
    def host(self) -> str:
        return f"127.0.0.1:{self.port}"

    def url(self, vhost: str = "") -> str:
        return f"amqp://guest:guest@{self.host}/{vhost}"

    def _env(self) -> dict[str, str]:
        assert self.dir is not None
        return {**os.environ, "RABBITMQ_NODENAME": self.name, "RABBITMQ_NODE_PORT": str(self.port),
                "RABBITMQ_DIST_PORT": str(self.dist_port), "RABBITMQ_MNESIA_BASE": str(self.dir / "mnesia"),
                "RABBITMQ_LOG_BASE": str(self.dir / "log"), "RABBITMQ_PID_FILE": str(self.dir / "pid"),
                "RABBITMQ_ENABLED_PLUGINS_FILE": str(self.dir / "enabled_plugins"),
                "RABBITMQ_CONFIG_FILE": str(self.dir / "rabbitmq.conf")}

    def _ctl(self, *args: str, timeout: float = 120, check: bool = True) -> subprocess.CompletedProcess:
        return subprocess.run(["rabbitmqctl", "-n", self.name, "-q", *args], capture_output=True, text=True,
                              timeout=timeout, check=check)

    def start(self, timeout: float = 90) -> None:
        """Start the node and wait until it runs (blocking: for fixtures and the script's set-up)."""
        if shutil.which("rabbitmq-server") is None:
            raise RuntimeError("rabbitmq-server introuvable : RabbitMQ doit être installé sur cette machine")
        self.dir = Path(tempfile.mkdtemp(prefix="portail-rabbit-"))
        (self.dir / "enabled_plugins").write_text("[].\n")
        (self.dir / "rabbitmq.conf").write_text(f"listeners.tcp.local = 127.0.0.1:{self.port}\n"
                                                "log.console = false\n")
        if os.geteuid() == 0:  # the rabbitmq-server wrapper runs the node as the rabbitmq user
            with contextlib.suppress(LookupError, OSError):
                for path in [self.dir, *self.dir.iterdir()]:
                    shutil.chown(path, "rabbitmq", "rabbitmq")
        subprocess.run(["rabbitmq-server", "-detached"], env=self._env(), check=True, capture_output=True,
                       timeout=60)
        self.running = True
        deadline = time.monotonic() + timeout
        while True:
            done = self._ctl("await_startup", "--timeout", "30", check=False, timeout=60)
            if done.returncode == 0:
                return
            crash = self.dir / "log" / "erl_crash.dump"
            if crash.exists() or time.monotonic() > deadline:
                log = self.dir / "log" / f"{self.name}.log"
                tail = log.read_text(errors="replace")[-3000:] if log.exists() else done.stderr
                self.stop()
                raise RuntimeError(f"private RabbitMQ node {self.name} did not start:\n{tail}")
            time.sleep(0.5)

    def stop(self) -> None:
        """Stop the node (the whole Erlang VM) and remove its directory."""
        if self.running:
            stopped = self._ctl("stop", check=False, timeout=120)
            if stopped.returncode != 0 and self.dir is not None and (self.dir / "pid").exists():
                with contextlib.suppress(ValueError, OSError):  # our node's own pid only
                    os.kill(int((self.dir / "pid").read_text().strip()), signal.SIGKILL)
            self.running = False
        if self.dir is not None:
            shutil.rmtree(self.dir, ignore_errors=True)
            self.dir = None

    async def stop_app(self) -> None:
        await ctl("stop_app", node=self.name)

    async def start_app(self) -> None:
        await ctl("start_app", node=self.name)
        await ctl("await_startup", node=self.name)

    async def add_vhost(self, vhost: str, topology: bool = True) -> str:
        return await add_vhost(vhost, node=self.name, host=self.host, topology=topology)

