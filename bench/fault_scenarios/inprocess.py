"""Services run in this process for a scenario (API, subscribers, relay on a free port, with the settings
of a scratch run), the routing keys they consume, and the events a consumer never applied."""

from __future__ import annotations

from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

import asyncpg

from bench.fault_scenarios.scratch import PAYMENT_SECRET


def service_object(name: str):
    import importlib

    return importlib.import_module(f"services.{name}.app").service


def inprocess_settings(name: str, amqp_url: str, database_url: str, secret: str, workdir: Path, **overrides):
    """The settings a service runs with in this process: its secrets, no mail really sent, no digest scheduled."""
    service = service_object(name)
    extra: dict[str, Any] = {"outbox_poll_seconds": 0.2}
    if name == "billing":
        extra.update(payment_provider_secret=PAYMENT_SECRET, public_url="http://127.0.0.1:1")
    if name == "notify":
        extra.update(smtp_port=1, digest_scheduler=False, delivery_poll_seconds=5)
    if name == "dossier":
        from services.dossier.domain.crypto import Sealer

        extra.update(dossier_key=Sealer.generate_key(), documents_dir=workdir / "documents")
    return service.settings_cls(database_url=database_url, amqp_url=amqp_url, identity_secret=secret,
                                **{**extra, **overrides})


@asynccontextmanager
async def serve(name: str, amqp_url: str, database_url: str, secret: str, workdir: Path,
                **overrides) -> AsyncIterator[str]:
    """A service (API, subscribers, relay) in this process on a free port, as tests/conftest.py `running`."""
    from aiohttp import web

    service = service_object(name)
    app = service.build_app(inprocess_settings(name, amqp_url, database_url, secret, workdir, **overrides))
    runner = web.AppRunner(app, shutdown_timeout=5)
    await runner.setup()
    try:
        site = web.TCPSite(runner, "127.0.0.1", 0)
        await site.start()
        port = site._server.sockets[0].getsockname()[1]
        yield f"http://127.0.0.1:{port}"
    finally:
        await runner.cleanup()


def subscribed_keys(name: str) -> list[str]:
    """The routing keys a service consumes (its queues' bindings)."""
    return [s.message.routing_key() for s in service_object(name).subscriptions]


async def events_not_consumed(producer: asyncpg.Connection | asyncpg.Pool, consumer: asyncpg.Pool,
                              consumer_name: str, keys: list[str] | None = None) -> int:
    """Events the producer wrote for this consumer (its outbox, by routing key) that the consumer never
    applied (its inbox)."""
    keys = keys if keys is not None else subscribed_keys(consumer_name)
    written = {r["event_id"] for r in await producer.fetch(
        "SELECT event_id FROM outbox WHERE routing_key = ANY($1::text[])", keys)}
    applied = {r["event_id"] for r in await consumer.fetch(
        "SELECT event_id FROM inbox WHERE consumer = $1 AND event_id = ANY($2::uuid[])", consumer_name,
        list(written))}
    return len(written - applied)

