"""Shared fixtures: the real PostgreSQL and RabbitMQ of the machine, isolated per test session
(a RabbitMQ virtual host and database names of their own), and services run in-process."""

from __future__ import annotations

import asyncio
import os
import shutil
import subprocess
import uuid
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

import asyncpg
import pytest
from aiohttp import web

from kit import db, migrations

PG_URL = os.environ.get("PORTAIL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432")
AMQP_HOST = os.environ.get("PORTAIL_TEST_AMQP_HOST", "127.0.0.1:5672")
SECRET = "test-identity-secret-0123456789abcdef"
# No service has a default secret: the tests give each the ones it needs (and nothing more).
SERVICE_SECRETS = {"billing": {"payment_provider_secret": "test-payment-provider-secret-0123456789"}}
METRICS_TOKEN = "test-metrics-token-0123456789abcdef"
RUN_ID = uuid.uuid4().hex[:8]


def rabbitmqctl(*args: str) -> None:
    """A RabbitMQ command; deleting a virtual host of quorum queues takes a while on a busy machine."""
    subprocess.run(["rabbitmqctl", "-q", *args], check=True, capture_output=True, timeout=240)


def declare_topology(url: str) -> None:
    """Every subscriber's queue, as `make run` and the Kubernetes Job do before any service publishes:
    a relay holds the events whose registered queues do not exist yet (docs/adr/0006)."""
    from services.topology import declare, portal_topology

    asyncio.run(declare(url, portal_topology()))


@pytest.fixture(scope="session")
def amqp_url() -> str:
    """A RabbitMQ virtual host of this test session's own, deleted afterwards."""
    if shutil.which("rabbitmqctl") is None:
        pytest.fail("rabbitmqctl introuvable : RabbitMQ doit être installé sur cette machine")
    vhost = f"portail-test-{RUN_ID}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    url = f"amqp://guest:guest@{AMQP_HOST}/{vhost}"
    declare_topology(url)
    yield url
    rabbitmqctl("delete_vhost", vhost)


@pytest.fixture(scope="module")
def module_amqp_url(amqp_url) -> str:
    """A virtual host of this test module's own, topology declared: events another module left in the
    session's queues (every subscriber's queue exists from the start) never reach this module's services.
    For modules that count everything a consumer holds."""
    vhost = f"portail-test-{RUN_ID}-{uuid.uuid4().hex[:6]}"
    rabbitmqctl("add_vhost", vhost)
    rabbitmqctl("set_permissions", "-p", vhost, "guest", ".*", ".*", ".*")
    url = f"amqp://guest:guest@{AMQP_HOST}/{vhost}"
    declare_topology(url)
    yield url
    rabbitmqctl("delete_vhost", vhost)


@pytest.fixture(scope="session")
def private_rabbitmq():
    """A RabbitMQ node of this session's own (`bench.fault_scenarios.PrivateNode`: its own node name, ports,
    database and logs in a temporary directory, no plugin), for the tests that stop the broker: the machine's
    node is shared with everyone's tests and is never stopped. A test adds a virtual host of its own on it
    (`await node.add_vhost(name)`, the topology step run there) and controls it with `await node.stop_app()`
    and `await node.start_app()`. The node is stopped and its directory removed at the end of the session."""
    from bench.fault_scenarios import PrivateNode

    node = PrivateNode()
    node.start()
    yield node
    node.stop()


@pytest.fixture(scope="session")
def db_prefix() -> str:
    """Databases named pt<run>_<service>, dropped afterwards."""
    prefix = f"pt{RUN_ID}_"
    yield prefix

    async def drop() -> None:
        conn = await asyncpg.connect(PG_URL + "/postgres")
        try:
            names = await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1", prefix + "%")
            for row in names:
                await conn.execute(f'DROP DATABASE "{row["datname"]}" WITH (FORCE)')
        finally:
            await conn.close()

    asyncio.run(drop())


def database_url(prefix: str, service: str) -> str:
    return f"{PG_URL}/{prefix}{service}"


async def migrated_pool(dsn: str, service: str, **pool_options) -> asyncpg.Pool:
    """A pool on `dsn`, its database created if needed and brought to `service`'s migrations."""
    await db.ensure_database(dsn)
    conn = await asyncpg.connect(dsn)
    try:
        await migrations.apply(conn, migrations.service_migrations(
            service, Path(__file__).resolve().parents[1] / "services" / service / "migrations"))
    finally:
        await conn.close()
    return await db.create_pool(dsn, **pool_options)


@asynccontextmanager
async def running(service, amqp_url: str, db_prefix: str, **overrides) -> AsyncIterator[str]:
    """Run a service (API, subscribers, relay) in this process on a free port; yields its base URL."""
    settings = service.settings_cls(
        database_url=database_url(db_prefix, service.name), amqp_url=amqp_url, identity_secret=SECRET,
        outbox_poll_seconds=0.2, **{**SERVICE_SECRETS.get(service.name, {}), **overrides})
    app = service.build_app(settings)
    runner = web.AppRunner(app, shutdown_timeout=5)
    await runner.setup()
    site = web.TCPSite(runner, "127.0.0.1", 0)
    await site.start()
    port = site._server.sockets[0].getsockname()[1]
    try:
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


@pytest.fixture
def run_service(amqp_url, db_prefix):
    def _run(service, **overrides):
        return running(service, amqp_url, db_prefix, **overrides)

    return _run


async def eventually(check, timeout: float = 20.0, interval: float = 0.1):
    """Await `check()` until it returns a truthy value; fail with the last value after `timeout`."""
    deadline = asyncio.get_running_loop().time() + timeout
    while True:
        value = await check()
        if value:
            return value
        if asyncio.get_running_loop().time() > deadline:
            raise AssertionError(f"condition not met after {timeout}s (last value: {value!r})")
        await asyncio.sleep(interval)


@pytest.fixture(scope="session", autouse=True)
def json_logs():
    """Logs go through the standard library as in production, so caplog sees each event dict."""
    from kit.logging import configure_logging

    configure_logging("tests", "INFO")


@pytest.fixture(scope="session", autouse=True)
def spans():
    """Real tracing in every test (as in production), with the finished spans kept in memory."""
    from opentelemetry.sdk.trace.export import SimpleSpanProcessor
    from opentelemetry.sdk.trace.export.in_memory_span_exporter import InMemorySpanExporter

    from kit.telemetry import setup_tracing

    exporter = InMemorySpanExporter()
    setup_tracing("tests", "none", extra_processor=SimpleSpanProcessor(exporter))
    return exporter
