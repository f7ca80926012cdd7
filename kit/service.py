"""The bootstrap of a service: its internal aiohttp API, its FastStream subscribers and its outbox
relay in one process, with /healthz, /readyz and a clean stop on SIGTERM.

    python -m services.<name>           run the service (migrates first)
    python -m services.<name> migrate   apply the migrations and exit
"""

from __future__ import annotations

import asyncio
import contextlib
import sys
from collections.abc import AsyncIterator, Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path

import asyncpg
from aiohttp import web
from faststream.rabbit import RabbitBroker

from contracts.envelope import Message
from kit import bus, db, gc_tuning, migrations
from kit import topology as bus_topology
from kit.consumer import Consumers
from kit.errors import DependencyUnavailable
from kit.http import (
    HANDLER_ARGS,
    correlation_middleware,
    guard_middleware,
    hide_server_banner,
    identity_middleware,
    json_response,
    problem,
    problem_middleware,
)
from kit.logging import configure_logging, get_logger
from kit.metrics import DEAD_LETTERS, OUTBOX_BACKLOG, OUTBOX_OLDEST_AGE, exposition, http_middleware
from kit.relay import OutboxRelay
from kit.settings import DEFAULT_PORTS, ServiceSettings, SettingsError, load_settings
from kit.telemetry import setup_tracing

log = get_logger(__name__)

APP_KEY = web.AppKey("service", object)


def pool_of(request: web.Request) -> asyncpg.Pool:
    """The service's database pool, from a request of its own API."""
    return request.app[APP_KEY].pool


@dataclass(frozen=True)
class Subscription:
    message: type[Message]
    effect: bus.Effect
    # the set-wise form of the effect, for a batch of fresh events in one transaction (docs/adr/0009)
    effect_many: bus.BatchEffect | None = None


Context = Callable[[web.Application], AsyncIterator[None]]


@dataclass
class Service:
    name: str
    migrations_dir: Path
    routes: Callable[[web.Application], None] | None = None
    subscriptions: Sequence[Subscription] = ()
    produces: bool = True
    settings_cls: type[ServiceSettings] = ServiceSettings
    # the pool resets only the connections said to keep session state (kit.db.keeps_session_state): for a
    # service whose every session-level lock or setting on a pooled connection is marked so
    lean_pool_reset: bool = False
    contexts: Sequence[Context] = ()
    # extra CLI commands, e.g. {"demo": load_demo_data}: each gets the settings and a pool
    commands: dict[str, Callable[[ServiceSettings, asyncpg.Pool], Awaitable[None]]] = field(default_factory=dict)

    # runtime state, set while the app runs
    settings: ServiceSettings | None = field(default=None, init=False)
    pool: asyncpg.Pool | None = field(default=None, init=False)
    broker: RabbitBroker | None = field(default=None, init=False)
    relay: OutboxRelay | None = field(default=None, init=False)
    # the subscriptions the relay waits for (docs/adr/0006); None: the portal's registry (kit.topology.portal)
    topology: bus_topology.Topology | None = field(default=None, init=False)
    stopping: bool = field(default=False, init=False)
    args: list[str] = field(default_factory=list, init=False)  # a command's own arguments (after its name)

    # -- the aiohttp application ---------------------------------------------------------------
    def build_app(self, settings: ServiceSettings) -> web.Application:
        self.settings = settings
        self.stopping = False  # a new application is ready to serve (the same service object may run again)
        app = web.Application(middlewares=[http_middleware(self.name), correlation_middleware, problem_middleware,
            guard_middleware(), identity_middleware(settings.identity_secret),
        ], client_max_size=2 * 1024 * 1024, handler_args=HANDLER_ARGS)
        app.on_response_prepare.append(hide_server_banner)
        app[APP_KEY] = self
        app.router.add_get("/healthz", self._healthz)
        app.router.add_get("/readyz", self._readyz)
        app.router.add_get("/metrics", self._metrics)
        if self.routes:
            self.routes(app)
        app.cleanup_ctx.append(self._database)
        app.cleanup_ctx.append(self._broker)
        if self.produces:
            app.cleanup_ctx.append(self._relay)
        app.cleanup_ctx.extend(self.contexts)
        app.on_shutdown.append(self._on_shutdown)
        return app

    async def _healthz(self, _request: web.Request) -> web.Response:
        return json_response({"status": "ok", "service": self.name})

    async def _readyz(self, _request: web.Request) -> web.Response:
        checks = {"database": False, "broker": False}
        if self.pool is not None:
            try:
                checks["database"] = await asyncio.wait_for(self.pool.fetchval("SELECT true"), 2)
            except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                pass
        if self.broker is not None:
            with contextlib.suppress(Exception):  # any failure means not ready
                checks["broker"] = await self.broker.ping(timeout=2)
        if self.stopping:
            return problem(503, "Service indisponible", "Le service s'arrête.", checks=checks)
        if not all(checks.values()):
            return problem(503, "Service indisponible", "Base de données ou bus injoignable.", checks=checks)
        return json_response({"status": "ready", "service": self.name, "checks": checks})

    async def _metrics(self, _request: web.Request) -> web.Response:
        """Counters, plus gauges read now: the outbox backlog and the dead-letter queues."""
        if self.pool is not None and self.produces:
            try:
                row = await asyncio.wait_for(self.pool.fetchrow(
                    "SELECT count(*) AS n, extract(epoch FROM now() - min(created_at)) AS age FROM outbox "
                    "WHERE sent_at IS NULL"), 2)
                OUTBOX_BACKLOG.labels(self.name).set(row["n"])
                OUTBOX_OLDEST_AGE.labels(self.name).set(float(row["age"] or 0))
            except (TimeoutError, OSError, asyncpg.PostgresError, asyncpg.InterfaceError):
                pass
        if self.broker is not None:
            for sub in self.subscriptions:
                dlq = bus.dead_letter_queue(self.name, sub.message)
                with contextlib.suppress(Exception):  # a metric must never break the scrape
                    queue = await asyncio.wait_for(self.broker.declare_queue(dlq), 2)
                    DEAD_LETTERS.labels(self.name, dlq.name).set(queue.declaration_result.message_count)
        return exposition()

    async def _on_shutdown(self, _app: web.Application) -> None:
        self.stopping = True  # /readyz turns 503 so no new traffic is routed here
        log.info("stopping: no new work, finishing what is in flight")

    # -- lifecycle contexts (cleanup runs in reverse: relay, broker, then database) -----------
    async def _database(self, _app: web.Application) -> AsyncIterator[None]:
        assert self.settings is not None
        await self.migrate(self.settings)
        self.pool = await db.create_pool(self.settings.database_url, reset_marked_only=self.lean_pool_reset)
        yield
        await self.pool.close()
        self.pool = None

    async def _broker(self, _app: web.Application) -> AsyncIterator[None]:
        assert self.settings is not None
        settings = self.settings
        # the FastStream broker: readiness and dead-letter gauges; the subscriptions are consumed in batches
        # by kit.consumer (docs/adr/0009)
        self.broker = bus.make_broker(settings.amqp_url, prefetch=settings.bus_prefetch)
        consumers = Consumers(settings.amqp_url, prefetch=settings.bus_prefetch)
        partitions = bus_topology.parse_partitions(settings.bus_partitions)
        owned = {int(k) for k in settings.bus_partitions_owned.split(",") if k}
        for sub in self.subscriptions:
            count = partitions.get(bus.queue_name(self.name, sub.message), 1)
            # a partitioned subscription: each partition its own queue and batches, consumed in parallel
            for k in ([None] if count <= 1 else [k for k in range(count) if not owned or k in owned]):
                consumers.subscribe(consumer=self.name, message=sub.message, effect=sub.effect,
                                    pool=lambda: self.pool, delivery_limit=settings.bus_delivery_limit,
                                    effect_many=sub.effect_many, batch_size=settings.bus_batch_size, partition=k)
        try:
            await self.broker.connect()
            await self._declare_own_topology(settings)
            await self.broker.start()
            await consumers.start()
        except Exception as exc:  # aio-pika raises several kinds on a refused connection
            await consumers.stop()
            raise DependencyUnavailable.rabbitmq(settings.amqp_url, exc) from exc
        log.info("service started", subscriptions=[bus.queue_name(self.name, s.message) for s in self.subscriptions])
        yield
        await consumers.stop()  # no new deliveries; those in flight applied (or redelivered later)
        await self.broker.stop()
        self.broker = None

    async def _declare_own_topology(self, settings: ServiceSettings) -> None:
        """This service's part of the registry (queues, dead-letter queues, bindings), declared again at
        start with the definition the topology step uses."""
        part = bus_topology.service_part(self.name, [s.message for s in self.subscriptions], settings.bus_delivery_limit,
                                         bus_topology.parse_partitions(settings.bus_partitions))
        if not part.queues:
            return
        connection = await bus.connect(settings.amqp_url)
        try:
            await bus_topology.declare(connection, part)
        finally:
            await connection.close()

    async def _relay(self, _app: web.Application) -> AsyncIterator[None]:
        assert self.settings is not None and self.pool is not None
        self.relay = OutboxRelay(self.pool, self.settings.database_url, self.settings.amqp_url, service=self.name,
                                 batch_size=self.settings.outbox_batch_size,
                                 poll_seconds=self.settings.outbox_poll_seconds,
                                 topology=self.topology if self.topology is not None else bus_topology.portal())
        task = asyncio.create_task(self.relay.run(), name=f"{self.name}-outbox-relay")
        yield
        await self.relay.stop()
        try:
            await asyncio.wait_for(task, timeout=15)
        except TimeoutError:
            task.cancel()

    # -- commands ------------------------------------------------------------------------------
    async def migrate(self, settings: ServiceSettings) -> list[str]:
        await db.ensure_database(settings.database_url)
        conn = await db.connect_or_explain(settings.database_url)
        try:
            return await migrations.apply(conn, migrations.service_migrations(self.name, self.migrations_dir))
        finally:
            await conn.close()

    async def _run_command(self, command, settings: ServiceSettings) -> None:
        await self.migrate(settings)
        pool = await db.create_pool(settings.database_url, max_size=2)
        try:
            await command(settings, pool)
        finally:
            await pool.close()

    def main(self, argv: Sequence[str] | None = None) -> None:
        argv = list(sys.argv[1:] if argv is None else argv)
        try:
            settings = load_settings(self.settings_cls)
        except SettingsError:
            sys.exit(2)
        configure_logging(self.name, settings.log_level)
        setup_tracing(self.name, settings.otel_exporter, settings.otel_endpoint)
        try:
            if argv[:1] == ["migrate"]:
                applied = asyncio.run(self.migrate(settings))
                log.info("migrations done", applied=applied)
                return
            if argv[:1] and argv[0] in self.commands:
                self.args = argv[1:]
                asyncio.run(self._run_command(self.commands[argv[0]], settings))
                return
            if argv:
                names = "|".join(["migrate", *self.commands])
                print(f"usage: python -m services.{self.name} [{names}]", file=sys.stderr)
                sys.exit(2)
            web.run_app(gc_tuning.tuned(self.build_app(settings)), host=settings.http_host, port=settings.http_port or DEFAULT_PORTS[self.name],
                        print=None, shutdown_timeout=20, access_log=None)
        except DependencyUnavailable as exc:
            log.error("dependency unavailable", what=exc.what, where=exc.where, how=exc.how)
            print(f"\n{exc}\n", file=sys.stderr)
            sys.exit(3)
