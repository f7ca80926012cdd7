"""Fault scenarios on the bus (issue 14, "nothing lost from the first second"), each counting the lost and
the duplicated effects explicitly. One module for the tests (tests/integration/test_faults_*.py) and the
script (bench/faults_bus.py):

- `start_order`: a fresh virtual host, the topology step NOT run (a newcomer starting the services by
  hand): auth, booking, billing, notify and dossier started in-process in a given order while families
  are created in auth (by its own code path before it runs, then through its internal API too); then
  every consumer's copy of the families, children, structures and contacts is compared with auth's facts.
- `broker_down`: a RabbitMQ node of our own (`PrivateNode`), booking + billing + notify on it; baskets
  confirmed through booking's internal API and the nightly transmission run while the node's
  application is stopped; started again; every basket line answered is recorded, every transmitted
  movement reached billing once (consumption lines once) and notify once.
- `kill9`: auth, booking, billing and notify as processes (`python -m services.<name>`, environment built
  by tools/devstack.py); a few hundred events flowing (families created in auth, transmissions written in
  booking's outbox); each consumer killed with SIGKILL in the middle of its work and started again; effect
  rows counted against the events.

Every scenario returns a `Tally`: per effect, how many are missing or wrong (lost) and how many are there
more than once or should not be there at all (duplicated). Dates are fixed far ahead: nothing depends on
the day it runs.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import os
import random
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import tempfile
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Callable, Iterable
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path
from typing import Any

import aiohttp
import asyncpg

ROOT = Path(__file__).resolve().parent.parent
PG = os.environ.get("PORTAIL_TEST_PG_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
AMQP_HOST = os.environ.get("PORTAIL_TEST_AMQP_HOST", "127.0.0.1:5672")
SERVICES = ("auth", "booking", "billing", "notify", "dossier")
FIRST_DAY = date(2098, 3, 2)  # far ahead: booking's deadlines are open whatever the day
TRANSMITTED_AT = datetime(2098, 3, 1, 3, 0, tzinfo=UTC)
PAYMENT_SECRET = "faults-payment-provider-secret-0123456789"

# The start orders of scenario 1: at least producers first, consumers first, interleaved and a random one.
ORDERS: dict[str, tuple[str, ...]] = {
    "producers_first": ("auth", "booking", "billing", "dossier", "notify"),
    "consumers_first": ("notify", "dossier", "billing", "booking", "auth"),
    "interleaved": ("booking", "auth", "notify", "billing", "dossier"),
    "random_seed_14": tuple(random.Random(14).sample(SERVICES, len(SERVICES))),
}


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def say(message: str) -> None:
    print(f"  [faults] {message}", file=sys.stderr, flush=True)


# -- the accounting -----------------------------------------------------------------------------------------
@dataclass
class Tally:
    """Lost and duplicated effects of one scenario, per effect checked."""

    scenario: str
    lost: dict[str, int] = field(default_factory=dict)
    duplicated: dict[str, int] = field(default_factory=dict)
    figures: dict[str, float] = field(default_factory=dict)
    seconds: float = 0.0

    @property
    def total_lost(self) -> int:
        return sum(self.lost.values())

    @property
    def total_duplicated(self) -> int:
        return sum(self.duplicated.values())

    def count(self, what: str, lost: int = 0, duplicated: int = 0) -> None:
        self.lost[what] = self.lost.get(what, 0) + lost
        self.duplicated[what] = self.duplicated.get(what, 0) + duplicated

    def compare(self, what: str, expected: dict[Any, Any], actual: Iterable[tuple[Any, Any]]) -> None:
        """`expected`: key → value (the owner's fact); `actual`: (key, value) rows of the copy. Lost: a key
        missing or with another value; duplicated: a key there twice, or a key nobody expects."""
        rows = list(actual)
        seen: dict[Any, Any] = {}
        twice = 0
        for key, value in rows:
            twice += key in seen
            seen[key] = value
        lost = sum(1 for key, value in expected.items() if key not in seen or seen[key] != value)
        extra = sum(1 for key in seen if key not in expected)
        self.count(what, lost, twice + extra)

    def compare_sets(self, what: str, expected: Iterable[Any], actual: Iterable[Any]) -> None:
        self.compare(what, {k: True for k in expected}, [(k, True) for k in actual])

    def ok(self) -> bool:
        return self.total_lost == 0 and self.total_duplicated == 0

    def details(self) -> str:
        parts = [f"{what}: lost={self.lost.get(what, 0)} duplicated={self.duplicated.get(what, 0)}"
                 for what in sorted(set(self.lost) | set(self.duplicated))]
        figures = " ".join(f"{k}={v:g}" for k, v in self.figures.items())
        return (f"{self.scenario}: lost={self.total_lost} duplicated={self.total_duplicated} "
                f"({self.seconds:.1f} s) {figures}\n    " + "\n    ".join(parts))

    def result_lines(self) -> list[str]:
        return [f"RESULT {self.scenario}_lost={self.total_lost}",
                f"RESULT {self.scenario}_duplicated={self.total_duplicated}"]


async def converge(measure: Callable[[], Any], timeout: float, interval: float = 0.5) -> Tally:
    """`measure()` again and again until it finds nothing lost nor duplicated, or `timeout`: the last tally."""
    deadline = time.monotonic() + timeout
    while True:
        tally = await measure()
        if tally.ok() or time.monotonic() > deadline:
            return tally
        await asyncio.sleep(interval)


# -- scratch resources on the shared node and PostgreSQL -----------------------------------------------------
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


async def drop_databases(prefix: str, pg_url: str = PG) -> None:
    conn = await asyncpg.connect(f"{pg_url}/postgres")
    try:
        for row in await conn.fetch("SELECT datname FROM pg_database WHERE datname LIKE $1", prefix + "%"):
            await conn.execute(f'DROP DATABASE "{row["datname"]}" WITH (FORCE)')
    finally:
        await conn.close()


# -- a RabbitMQ node of our own ---------------------------------------------------------------------------------
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


# -- services in this process -------------------------------------------------------------------------------------
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


# -- auth's facts and their copies ----------------------------------------------------------------------------------
@dataclass(frozen=True)
class Kid:
    first_name: str
    last_name: str
    birth_date: date
    structure_id: uuid.UUID


@dataclass(frozen=True)
class FamilySpec:
    """A family as staff type it in (auth's POST /v1/families)."""

    identifiant: str
    guardians: tuple[tuple[str, str], ...]  # (first name, last name), the responsable first
    emails: tuple[str, ...]
    structure_id: uuid.UUID
    children: tuple[Kid, ...]
    civility: str = "Mme"
    initial_password: str = "Faute-Bus-2098!"

    def with_child(self, kid: Kid) -> FamilySpec:
        from dataclasses import replace

        return replace(self, children=self.children + (kid,))

    def body(self) -> dict[str, Any]:
        (first, last), *other = self.guardians
        body: dict[str, Any] = {
            "identifiant": self.identifiant, "structure_id": str(self.structure_id),
            "responsable": {"first_name": first, "last_name": last, "civilite": self.civility},
            "emails": list(self.emails), "initial_password": self.initial_password,
            "children": [{"first_name": c.first_name, "last_name": c.last_name, "birth_date": c.birth_date.isoformat(),
                          "structure_id": str(c.structure_id)} for c in self.children]}
        if other:
            body["autre_responsable"] = {"first_name": other[0][0], "last_name": other[0][1]}
        return body


def new_family(number: int, structures: list[uuid.UUID], tag: str, children: int = 2) -> FamilySpec:
    last = f"FAUTE{tag.upper()}{number:04d}"
    kids = tuple(Kid(f"Enfant{i}", last, date(2015 + i, 1 + number % 12, 1 + i), structures[(number + i) % len(structures)])
                 for i in range(children))
    guardians = (("Louise", last),) + ((("Paul", last),) if random.Random(number).random() < 0.5 else ())
    return FamilySpec(identifiant=f"{tag}-{number:04d}", guardians=guardians,
                      emails=(f"famille{number:04d}.{tag}@example.fr",), structure_id=structures[number % len(structures)],
                      children=kids)


def later_child(family: FamilySpec, number: int) -> FamilySpec:
    """The same family typed again with one more child: auth adds the child, a newer version of the family."""
    return family.with_child(Kid("Cadet", family.guardians[0][1], date(2021, 6, 1 + number % 28), family.structure_id))


async def create_structure(conn: asyncpg.Connection, name: str) -> uuid.UUID:
    """As auth's POST /v1/structures does: the row and auth.structure_changed.v1 in one transaction."""
    from contracts.auth import AuthStructureChangedV1
    from kit import outbox

    structure_id = uuid.uuid4()
    async with conn.transaction():
        row = await conn.fetchrow("INSERT INTO structures (id, name) VALUES ($1, $2) RETURNING id, name, updated_at",
                                  structure_id, name)
        await outbox.add(conn, AuthStructureChangedV1(structure_id=row["id"], name=row["name"],
                                                      updated_at=row["updated_at"]), producer="auth")
    return structure_id


def auth_code_path(pool: asyncpg.Pool) -> Callable[[asyncpg.Connection, FamilySpec], Any] | None:
    """auth's own way to create (or complete) a family in the caller's transaction, for the families written
    before auth runs: `upsert_family` with its password hasher, wherever auth keeps them (its modules are being
    reorganised). None when they cannot be found: those families then wait for auth's API."""
    import importlib
    import inspect

    def first(*candidates: tuple[str, str]) -> Any:
        for module, name in candidates:
            with contextlib.suppress(ImportError, AttributeError):
                return getattr(importlib.import_module(module), name)
        return None

    upsert = first(("services.auth.families", "upsert_family"), ("services.auth.service.families", "upsert_family"))
    hasher_cls = first(("services.auth.hashing", "PasswordHasher"), ("services.auth.passwords", "PasswordHasher"),
                       ("services.auth.domain.passwords", "PasswordHasher"))
    kinds = [first(("services.auth.domain.families", n), ("services.auth.family_import", n))
             for n in ("ImportedFamily", "ImportedGuardian", "ImportedChild")]
    if upsert is None or hasher_cls is None or None in kinds:
        return None
    imported_family, imported_guardian, imported_child = kinds
    hasher = hasher_cls()
    if "store" in inspect.signature(upsert).parameters:  # upsert_family(conn, store, producer, hasher, family)
        store_cls, producer = first(("services.auth.store", "Store")), first(("services.auth.events", "PRODUCER"))
        if store_cls is None or producer is None:
            return None
        store = store_cls(pool)

        def call(conn, family):
            return upsert(conn, store, producer, hasher, family)
    else:  # upsert_family(conn, hasher, family)
        def call(conn, family):
            return upsert(conn, hasher, family)

    async def create(conn: asyncpg.Connection, spec: FamilySpec) -> Any:
        family = imported_family(
            identifiant=spec.identifiant, emails=spec.emails, structure_id=spec.structure_id,
            initial_password=spec.initial_password, lines=(),
            guardians=tuple(imported_guardian(f, last, rank, spec.civility if rank == 1 else None)
                            for rank, (f, last) in enumerate(spec.guardians, 1)),
            children=tuple(imported_child(c.first_name, c.last_name, c.birth_date, c.structure_id) for c in spec.children))
        return await call(conn, family)

    return create


async def create_family_by_api(http: aiohttp.ClientSession, auth_url: str, secret: str, family: FamilySpec,
                               expect: int = 201) -> None:
    """POST /v1/families on auth's internal API, as the gateway forwards it for an administrator (201: created;
    409: known, its new children added)."""
    from kit import identity as ident

    token = ident.issue(ident.Identity(subject=str(uuid.uuid4()), role="admin"), secret)
    async with http.post(f"{auth_url}/v1/families", json=family.body(), headers={ident.HEADER: token}) as resp:
        if resp.status != expect:
            raise RuntimeError(f"auth answered {resp.status} for {family.identifiant}: {await resp.text()}")


async def auth_facts(auth: asyncpg.Pool) -> dict[str, Any]:
    families = await auth.fetch("SELECT id, identifiant, structure_id FROM families")
    guardians = await auth.fetch("SELECT id, family_id, rank, first_name, last_name FROM guardians ORDER BY rank")
    children = await auth.fetch("SELECT id, family_id, first_name, last_name, birth_date, structure_id FROM children")
    accounts = await auth.fetch("SELECT id, family_id, emails, display_name FROM accounts WHERE family_id IS NOT NULL")
    structures = await auth.fetch("SELECT id, name FROM structures")
    by_family: dict[uuid.UUID, list] = {f["id"]: [] for f in families}
    for g in guardians:
        by_family[g["family_id"]].append(g)
    family_structures = {(f["id"], f["structure_id"]) for f in families} | {(c["family_id"], c["structure_id"])
                                                                           for c in children}

    def label(f) -> str:
        first = next((g for g in by_family[f["id"]] if g["rank"] == 1), None)
        return f"{first['last_name'].upper()} {first['first_name']}" if first else f["identifiant"]

    return {
        "structures": {s["id"]: s["name"] for s in structures},
        "children": {c["id"]: (c["family_id"], c["first_name"], c["last_name"], c["birth_date"], c["structure_id"])
                     for c in children},
        "family_structures": family_structures,
        "billing_families": {f["id"]: (f["identifiant"], label(f)) for f in families},
        "dossier_families": {f["id"]: (f["identifiant"], tuple((str(g["id"]), g["first_name"], g["last_name"], g["rank"])
                                                               for g in by_family[f["id"]])) for f in families},
        "contacts": {a["family_id"]: (a["id"], tuple(a["emails"]), a["display_name"]) for a in accounts},
    }


async def compare_with_auth(tally: Tally, auth: asyncpg.Pool, pools: dict[str, asyncpg.Pool]) -> None:
    """Every copy of auth's facts that these consumers keep, against auth's own tables."""
    facts = await auth_facts(auth)
    children_of = {k: v[:4] for k, v in facts["children"].items()}  # billing's children have no structure
    if "booking" in pools:
        p = pools["booking"]
        tally.compare("booking.structures", facts["structures"],
                      [(r["id"], r["name"]) for r in await p.fetch("SELECT id, name FROM structures")])
        tally.compare("booking.children", facts["children"], [
            (r["id"], (r["family_id"], r["first_name"], r["last_name"], r["birth_date"], r["structure_id"]))
            for r in await p.fetch("SELECT id, family_id, first_name, last_name, birth_date, structure_id FROM children")])
        tally.compare_sets("booking.family_structures", facts["family_structures"], [
            (r["family_id"], r["structure_id"]) for r in await p.fetch("SELECT family_id, structure_id FROM family_structures")])
    if "billing" in pools:
        p = pools["billing"]
        tally.compare("billing.structures", facts["structures"],
                      [(r["id"], r["name"]) for r in await p.fetch("SELECT id, name FROM structures")])
        tally.compare("billing.families", facts["billing_families"], [
            (r["id"], (r["identifiant"], r["label"])) for r in await p.fetch("SELECT id, identifiant, label FROM families")])
        tally.compare("billing.children", children_of, [
            (r["id"], (r["family_id"], r["first_name"], r["last_name"], r["birth_date"]))
            for r in await p.fetch("SELECT id, family_id, first_name, last_name, birth_date FROM children")])
        tally.compare_sets("billing.family_structures", facts["family_structures"], [
            (r["family_id"], r["structure_id"]) for r in await p.fetch("SELECT family_id, structure_id FROM family_structures")])
    if "dossier" in pools:
        p = pools["dossier"]
        tally.compare("dossier.structures", facts["structures"],
                      [(r["id"], r["name"]) for r in await p.fetch("SELECT id, name FROM structures")])
        tally.compare("dossier.families", facts["dossier_families"], [
            (r["id"], (r["identifiant"], tuple((g["guardian_id"], g["first_name"], g["last_name"], g["rank"])
                                               for g in sorted(json.loads(r["guardians"]), key=lambda g: g["rank"]))))
            for r in await p.fetch("SELECT id, identifiant, guardians::text AS guardians FROM families")])
        tally.compare("dossier.children", facts["children"], [
            (r["id"], (r["family_id"], r["first_name"], r["last_name"], r["birth_date"], r["structure_id"]))
            for r in await p.fetch("SELECT id, family_id, first_name, last_name, birth_date, structure_id FROM children")])
    if "notify" in pools:
        tally.compare("notify.family_contacts", facts["contacts"], [
            (r["family_id"], (r["account_id"], tuple(r["emails"]), r["greeting"]))
            for r in await pools["notify"].fetch("SELECT family_id, account_id, emails, greeting FROM family_contacts")])
    auth_keys = [k for k in ("auth.structure_changed.v1", "auth.family_changed.v1", "auth.family_contacts.v1")]
    for name, pool in pools.items():
        keys = [k for k in subscribed_keys(name) if k in auth_keys]
        tally.count(f"{name}.events_from_auth", lost=await events_not_consumed(auth, pool, name, keys))


# -- scenario 1: every start order, on a fresh virtual host without the topology step ------------------------------------
async def start_order(order_name: str, order: tuple[str, ...], amqp_url: str, pg_url: str, prefix: str,
                      workdir: Path, families: int = 24, gap: float = 0.4, timeout: float = 60) -> Tally:
    """Start the five services in `order` (`gap` seconds apart) on a virtual host where nothing is declared,
    while `families` families are created in auth (by its code path on its database before it runs, through
    its API once it does, some completed later with one more child); then compare every copy with auth."""
    started = time.monotonic()
    tally = Tally(f"start_order_{order_name}")
    secret = secrets.token_urlsafe(32)
    dsn = {name: f"{pg_url}/{prefix}{name}" for name in SERVICES}
    auth_service = service_object("auth")
    await auth_service.migrate(inprocess_settings("auth", amqp_url, dsn["auth"], secret, workdir))
    tag = uuid.uuid4().hex[:6]
    urls: dict[str, str] = {}
    created: list[FamilySpec] = []
    via = Counter()
    async with AsyncExitStack() as stack:
        auth_pool = await asyncpg.create_pool(dsn["auth"], min_size=1, max_size=3)
        stack.push_async_callback(auth_pool.close)
        http = await stack.enter_async_context(aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)))
        code_path = auth_code_path(auth_pool)
        async with auth_pool.acquire() as conn:
            structures = [await create_structure(conn, f"Mairie {tag} {i}") for i in range(2)]
        span = gap * len(order) + 2.0  # families keep coming while the services start, and a little after

        async def write(family: FamilySpec, update: bool = False) -> None:
            """Through auth's API once it runs (every other family), else by its own code path on its database."""
            if "auth" in urls and (update or len(created) % 2 or code_path is None):
                await create_family_by_api(http, urls["auth"], secret, family, expect=409 if update else 201)
                via["api"] += 1
                return
            if code_path is None:  # auth's code cannot be reached from here: wait for its API
                via["waited_for_api"] += 1
                while "auth" not in urls:
                    await asyncio.sleep(0.05)
                return await write(family, update)
            async with auth_pool.acquire() as conn, conn.transaction():
                await code_path(conn, family)
            via["code_path"] += 1

        async def writer() -> None:
            for n in range(families):
                family = new_family(n, structures, tag)
                await write(family)
                created.append(family)
                if n % 4 == 3:  # a family completed later: a newer version of it
                    await write(later_child(created[n - 2], n), update=True)
                    via["updates"] += 1
                await asyncio.sleep(span / families)

        writing = asyncio.create_task(writer())
        try:
            for name in order:
                urls[name] = await stack.enter_async_context(
                    serve(name, amqp_url, dsn[name], secret, workdir))
                await asyncio.sleep(gap)
            await writing
        finally:
            if not writing.done():
                writing.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await writing
        pools = {}
        for name in SERVICES[1:]:
            pools[name] = await asyncpg.create_pool(dsn[name], min_size=1, max_size=2)
            stack.push_async_callback(pools[name].close)

        async def measure() -> Tally:
            t = Tally(tally.scenario)
            t.count("auth.outbox_pending", lost=await auth_pool.fetchval(
                "SELECT count(*) FROM outbox WHERE sent_at IS NULL"))
            await compare_with_auth(t, auth_pool, pools)
            return t

        final = await converge(measure, timeout)
        final.figures.update(families=len(created), via_api=via["api"], via_code_path=via["code_path"],
                             waited_for_api=via["waited_for_api"], updates=via["updates"],
                             children=await auth_pool.fetchval("SELECT count(*) FROM children"))
    final.seconds = time.monotonic() - started
    return final


# -- scenario 2: the broker's application stopped while baskets are confirmed and the transmission runs -------------
async def seed_booking(pool: asyncpg.Pool, families: int, days: int, capacity: int):
    """A structure, an activity open on `days` days with `capacity` places (then a waiting list), one child
    per family: as auth's and booking's own events would have left them."""
    from services.booking.service import catalog
    from services.booking.store import Store

    structure = uuid.uuid4()
    day_list = [FIRST_DAY + timedelta(days=i) for i in range(days)]
    async with pool.acquire() as conn, conn.transaction():
        await conn.execute("INSERT INTO structures (id, name, updated_at) VALUES ($1, 'Mairie de Pannes', now())",
                           structure)
        activity = await catalog.create_activity(Store(conn), catalog.ActivityIn(
            structure_id=structure, name=f"RESTAURATION {uuid.uuid4().hex[:6]}", start_time=dtime(11, 30),
            end_time=dtime(13, 30), capacity=capacity, waitlist_allowed=True))
        await conn.executemany("INSERT INTO sessions (id, activity_id, day, start_time, end_time, capacity) "
                               "VALUES ($1, $2, $3, '11:30', '13:30', $4)",
                               [(uuid.uuid4(), activity, d, capacity) for d in day_list])
        pairs = [(uuid.uuid4(), uuid.uuid4()) for _ in range(families)]
        await conn.executemany("INSERT INTO children (id, family_id, first_name, last_name, birth_date, structure_id) "
                               "VALUES ($1, $2, 'Enfant', 'PANNE', '2090-01-01', $3)",
                               [(child, family, structure) for family, child in pairs])
    return activity, day_list, pairs


async def confirm_basket(http: aiohttp.ClientSession, url: str, secret: str, family: uuid.UUID, child: uuid.UUID,
                         activity: uuid.UUID, days: list[date]) -> tuple[int, list[dict]]:
    """POST /v1/basket/confirm with the parent's signed identity (as the gateway sends it)."""
    from kit import identity as ident

    token = ident.issue(ident.Identity(subject=str(uuid.uuid4()), role="parent", family_id=family), secret)
    lines = [{"child_id": str(child), "activity_id": str(activity), "date": d.isoformat(), "action": "reserve"}
             for d in days]
    async with http.post(f"{url}/v1/basket/confirm", json={"lines": lines}, headers={ident.HEADER: token}) as resp:
        body = await resp.json(content_type=None)
        return resp.status, (body or {}).get("results", []) if resp.status == 200 else []


def expected_lines(rows: Iterable[Any]) -> dict[tuple[uuid.UUID, str], str]:
    """(booking_id, kind) → outcome of transmitted lines: booking's movements, or an event's lines."""
    return {(r["booking_id"], r["kind"]) if isinstance(r, asyncpg.Record) else (r.booking_id, r.kind):
            r["outcome"] if isinstance(r, asyncpg.Record) else r.outcome for r in rows}


async def transmission_effects(tally: Tally, booking: asyncpg.Pool, billing: asyncpg.Pool, notify: asyncpg.Pool,
                               expected: dict[tuple[uuid.UUID, str], str]) -> None:
    """Every transmitted line (`expected`) reached billing once (booking_movements, its consumption line and
    billing.consumption_recorded event for an accepted reservation), and every booking.transmitted.v1 event
    written in booking's outbox reached billing's inbox and notify's digest movements once."""
    ids = list({k[0] for k in expected})
    received = await billing.fetch("SELECT booking_id, kind, outcome FROM booking_movements "
                                   "WHERE booking_id = ANY($1::uuid[])", ids)
    tally.compare("billing.booking_movements", expected, [((r["booking_id"], r["kind"]), r["outcome"]) for r in received])
    charged = [b for (b, kind), outcome in expected.items() if kind == "reserve" and outcome == "accepted"]
    lines = await billing.fetch("SELECT booking_id FROM consumptions WHERE credit_of IS NULL "
                                "AND booking_id = ANY($1::uuid[])", charged)
    tally.compare_sets("billing.consumptions", charged, [r["booking_id"] for r in lines])
    recorded = await billing.fetch(
        "SELECT (body->'payload'->>'booking_id')::uuid AS booking_id FROM outbox "
        "WHERE routing_key = 'billing.consumption_recorded.v1' "
        "AND (body->'payload'->>'booking_id')::uuid = ANY($1::uuid[])", charged)
    tally.compare_sets("billing.consumption_recorded_events", charged, [r["booking_id"] for r in recorded])
    tally.count("billing.events_from_booking", lost=await events_not_consumed(booking, billing, "billing",
                                                                            ["booking.transmitted.v1"]))
    events = await booking.fetch("SELECT event_id FROM outbox WHERE routing_key = 'booking.transmitted.v1'")
    digests = await notify.fetch("SELECT event_id, transmission_id, family_id, structure_id FROM digest_movements")
    tally.compare_sets("notify.digest_movements", [e["event_id"] for e in events], [d["event_id"] for d in digests])
    per_family = Counter((d["transmission_id"], d["family_id"], d["structure_id"]) for d in digests)
    tally.count("notify.digest_movements_per_family", duplicated=sum(n - 1 for n in per_family.values()))
    tally.count("notify.events_from_booking", lost=await events_not_consumed(booking, notify, "notify",
                                                                           ["booking.transmitted.v1"]))


async def broker_down(node: PrivateNode, amqp_url: str, pg_url: str, prefix: str, workdir: Path, families: int = 60,
                      days: int = 3, capacity: int = 40, spread: float = 5.0, timeout: float = 90) -> Tally:
    """booking, billing and notify on the private node; `families` baskets of `days` lines confirmed through
    booking's API, a first transmission, then the node's application stopped: the other baskets confirmed and
    the transmission run while it is down; started again; a last transmission; then the accounting."""
    from services.booking.service import transmission
    from services.booking.store import Database

    started = time.monotonic()
    tally = Tally("broker_down")
    secret = secrets.token_urlsafe(32)
    dsn = {name: f"{pg_url}/{prefix}{name}" for name in ("booking", "billing", "notify")}
    answers: dict[uuid.UUID, tuple[int, list[dict]]] = {}
    runs: list[Any] = []
    async with AsyncExitStack() as stack:
        for name in ("billing", "notify"):
            await stack.enter_async_context(serve(name, amqp_url, dsn[name], secret, workdir))
        url = await stack.enter_async_context(serve("booking", amqp_url, dsn["booking"], secret, workdir))
        pools = {}
        for name, url_of_db in dsn.items():
            pools[name] = await asyncpg.create_pool(url_of_db, min_size=1, max_size=4)
            stack.push_async_callback(pools[name].close)
        activity, day_list, pairs = await seed_booking(pools["booking"], families, days, capacity)
        http = await stack.enter_async_context(aiohttp.ClientSession(
            connector=aiohttp.TCPConnector(limit=8), timeout=aiohttp.ClientTimeout(total=60)))

        async def confirm(family: uuid.UUID, child: uuid.UUID, delay: float) -> None:
            await asyncio.sleep(delay)  # parents keep coming: before, during and after the outage
            try:
                answers[family] = await confirm_basket(http, url, secret, family, child, activity, day_list)
            except (aiohttp.ClientError, OSError, TimeoutError):
                answers[family] = (0, [])

        async def answered(n: int) -> None:
            while len(answers) < n:
                await asyncio.sleep(0.01)

        tasks = [asyncio.create_task(confirm(f, c, i * spread / families)) for i, (f, c) in enumerate(pairs)]
        try:
            await asyncio.wait_for(answered(families // 4), 60)
            runs.append(await transmission.run(Database(pools["booking"])))  # its events leave while the node goes down
            await node.stop_app()
            say(f"broker_down: application stopped with {len(answers)}/{families} baskets answered")
            stopped_at = time.monotonic()
            await asyncio.wait_for(answered(families // 2), 60)
            runs.append(await transmission.run(Database(pools["booking"])))  # the nightly transmission, broker down
            await asyncio.gather(*tasks)
            runs.append(await transmission.run(Database(pools["booking"])))
            pending = await pools["booking"].fetchval("SELECT count(*) FROM outbox WHERE sent_at IS NULL")
            tally.figures.update(pending_while_down=pending)
            await asyncio.sleep(max(0.0, 2.0 - (time.monotonic() - stopped_at)))
        finally:
            for t in tasks:
                t.cancel()
            await node.start_app()
        say("broker_down: application started again")
        runs.append(await transmission.run(Database(pools["booking"])))

        async def measure() -> Tally:
            t = Tally(tally.scenario)
            lines = [(family, r) for family, (status, results) in answers.items() if status == 200 for r in results]
            booked = {r["id"]: (r["status"], r["family_id"]) for r in await pools["booking"].fetch(
                "SELECT id, status, family_id FROM bookings WHERE activity_id = $1", activity)}
            moved = Counter((r["booking_id"], r["outcome"]) for r in await pools["booking"].fetch(
                "SELECT booking_id, outcome FROM movements WHERE kind = 'reserve'"))
            t.count("booking.answered_lines_recorded", lost=sum(
                1 for family, r in lines if not r.get("booking_id")
                or booked.get(uuid.UUID(r["booking_id"])) != (r["outcome"], family)
                or not moved.get((uuid.UUID(r["booking_id"]), r["outcome"]))))
            t.count("booking.movements", duplicated=sum(n - 1 for n in moved.values()))
            t.count("booking.outbox_pending", lost=await pools["booking"].fetchval(
                "SELECT count(*) FROM outbox WHERE sent_at IS NULL AND routing_key LIKE 'booking.transmitted.%'"))
            movements = await pools["booking"].fetch(
                "SELECT booking_id, kind, outcome, transmission_id FROM movements WHERE outcome <> 'pending'")
            t.count("booking.movements_not_transmitted",
                    lost=sum(1 for m in movements if m["transmission_id"] is None))
            await transmission_effects(t, pools["booking"], pools["billing"], pools["notify"],
                                       expected_lines(movements))
            return t

        final = await converge(measure, timeout)
        statuses = Counter(status for status, _ in answers.values())
        final.figures.update(pending_while_down=tally.figures.get("pending_while_down", 0),
                             baskets=families, answered_200=statuses[200], not_answered=families - statuses[200],
                             lines=sum(len(r) for _s, r in answers.values()),
                             transmitted_events=sum(r.events for r in runs), transmitted_lines=sum(r.lines for r in runs))
    final.seconds = time.monotonic() - started
    return final


# -- scenario 3: each consumer killed with SIGKILL in the middle of its work ---------------------------------------
class Process:
    """`python -m services.<name>` with the environment tools/devstack.py gives it, its output in a log file."""

    def __init__(self, name: str, env: dict[str, str], log_path: Path):
        self.name, self.log_path = name, log_path
        self.port = int(env["PORTAIL_HTTP_PORT"])
        base = {k: v for k, v in os.environ.items() if not k.startswith(("PORTAIL_", "RABBITMQ_"))}
        self.env = {**base, **env}
        self.proc: asyncio.subprocess.Process | None = None
        self.starts = 0
        self.kills = 0

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def start(self) -> None:
        self.starts += 1
        with self.log_path.open("a") as out:
            out.write(f"\n===== start {self.starts} =====\n")
            out.flush()
            self.proc = await asyncio.create_subprocess_exec(
                sys.executable, "-m", f"services.{self.name}", cwd=ROOT, env=self.env, stdout=out,
                stderr=asyncio.subprocess.STDOUT)

    async def ready(self, timeout: float = 90) -> None:
        deadline = time.monotonic() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            while True:
                assert self.proc is not None
                if self.proc.returncode is not None:
                    raise RuntimeError(f"{self.name} exited at start ({self.proc.returncode}), see {self.log_path}")
                with contextlib.suppress(aiohttp.ClientError, OSError, TimeoutError):
                    async with http.get(f"{self.url}/readyz") as resp:
                        if resp.status == 200:
                            return
                if time.monotonic() > deadline:
                    raise RuntimeError(f"{self.name} not ready after {timeout}s, see {self.log_path}")
                await asyncio.sleep(0.1)

    async def kill9(self) -> None:
        assert self.proc is not None
        self.proc.send_signal(signal.SIGKILL)
        await self.proc.wait()
        self.kills += 1

    async def stop(self, timeout: float = 30) -> None:
        """SIGTERM, then SIGKILL after `timeout`: the process is gone afterwards."""
        if self.proc is None or self.proc.returncode is not None:
            return
        with contextlib.suppress(ProcessLookupError):
            self.proc.send_signal(signal.SIGTERM)
        try:
            await asyncio.wait_for(self.proc.wait(), timeout)
        except TimeoutError:
            with contextlib.suppress(ProcessLookupError):
                self.proc.kill()
            await self.proc.wait()


def devstack_env(name: str, pg_url: str, prefix: str, amqp_url: str, secret: str, port_base: int,
                 smtp_port: int) -> dict[str, str]:
    """The environment `make run` gives a process (tools/devstack.py `process_env`), on scratch resources."""
    from tools.devstack import DevStack

    stack = DevStack({"PORTAIL_DEV_PG_URL": pg_url, "PORTAIL_DEV_DB_PREFIX": prefix, "PORTAIL_AMQP_URL": amqp_url,
                      "PORTAIL_DEV_PORT_BASE": str(port_base), "PORTAIL_IDENTITY_SECRET": secret,
                      "PORTAIL_DEV_MAIL_SMTP_PORT": str(smtp_port), "PORTAIL_PAYMENT_PROVIDER_SECRET": PAYMENT_SECRET,
                      "PORTAIL_METRICS_TOKEN": secrets.token_urlsafe(32), "PORTAIL_DOSSIER_KEY": "k" * 44,
                      "PORTAIL_DEV_NO_DEMO": "1"})
    env = stack.process_env(name)
    env.update(PORTAIL_OUTBOX_POLL_SECONDS="0.2", PORTAIL_DIGEST_SCHEDULER="false", PORTAIL_LOG_LEVEL="INFO")
    for key in ("PORTAIL_TOPOLOGY_EXTERNAL", "PORTAIL_TOPOLOGY_SUBSCRIBERS"):  # the registry the topology step used
        if key in os.environ:
            env[key] = os.environ[key]
    return env


def free_port_base(width: int = 6) -> int:
    """A base port with the `width` ports after it free (the dev stack's gateway, auth, booking…)."""
    rng = random.Random()
    for _ in range(200):
        base = rng.randrange(20000, 60000)
        try:
            sockets = []
            for p in range(base, base + width):
                s = socket.socket()
                sockets.append(s)
                s.bind(("127.0.0.1", p))
        except OSError:
            continue
        finally:
            for s in sockets:
                s.close()
        return base
    raise RuntimeError("no free port range")


def transmitted_event(family: uuid.UUID, structure: uuid.UUID, n_lines: int, seed: int):
    from contracts import BookingTransmittedV1, TransmittedLine

    child = uuid.uuid4()
    lines = [TransmittedLine(booking_id=uuid.uuid4(), child_id=child, child_first_name="Léa",
                             child_last_name=f"TUEE{seed}", activity_id=uuid.uuid4(),
                             activity_name="RESTAURATION SCOLAIRE", date=FIRST_DAY + timedelta(days=i),
                             kind="reserve", outcome="accepted") for i in range(n_lines)]
    return BookingTransmittedV1(transmission_id=uuid.uuid4(), family_id=family, structure_id=structure,
                                structure_name="Mairie de CarteVille", transmitted_at=TRANSMITTED_AT, lines=lines)


async def kill9(amqp_url: str, pg_url: str, prefix: str, workdir: Path, families: int = 120, transmissions: int = 120,
                kills: int = 2, seed: int = 14, span: float = 12.0, timeout: float = 120) -> Tally:
    """auth, booking, billing, notify as processes on a virtual host where the topology step ran. `families`
    families created in auth and `transmissions` booking.transmitted events written in booking's outbox, spread
    over `span` seconds; billing, notify and booking each killed with SIGKILL `kills` times in the middle of their
    work (once some of their events are applied and before all are), started again at once."""
    from services.booking.service import transmission
    from services.booking.store import Store

    started = time.monotonic()
    rng = random.Random(seed)
    tally = Tally("kill9")
    secret = secrets.token_urlsafe(32)
    base, smtp = free_port_base(), free_port()
    procs = {name: Process(name, devstack_env(name, pg_url, prefix, amqp_url, secret, base, smtp),
                           workdir / f"kill9-{name}.log") for name in ("auth", "booking", "billing", "notify")}
    dsn = {name: f"{pg_url}/{prefix}{name}" for name in procs}
    tag = uuid.uuid4().hex[:6]
    written: list[Any] = []
    kill_log: list[str] = []
    async with AsyncExitStack() as stack:
        for p in procs.values():
            stack.push_async_callback(p.stop)
            await p.start()
        await asyncio.gather(*(p.ready() for p in procs.values()))
        pools = {}
        for name in procs:
            pools[name] = await asyncpg.create_pool(dsn[name], min_size=1, max_size=3)
            stack.push_async_callback(pools[name].close)
        http = await stack.enter_async_context(aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=30)))
        async with pools["auth"].acquire() as conn:
            structures = [await create_structure(conn, f"Mairie {tag} {i}") for i in range(2)]
        expected = {"booking": 2 + families, "billing": 2 + families + transmissions, "notify": families + transmissions}

        async def produce() -> None:
            ids: list[uuid.UUID] = []
            steps = max(families, transmissions)
            for n in range(steps):
                if n < families:
                    family = new_family(n, structures, tag)
                    await create_family_by_api(http, procs["auth"].url, secret, family)
                    ids.append(await pools["auth"].fetchval("SELECT id FROM families WHERE identifiant = $1",
                                                            family.identifiant))
                if n < transmissions:
                    event = transmitted_event(ids[n % len(ids)], structures[n % 2], 1 + n % 4, n)
                    async with pools["booking"].acquire() as conn:
                        await transmission.record(Store(conn), event.transmission_id, [event])
                    written.append(event)
                await asyncio.sleep(span / steps)

        async def applied(name: str) -> int:
            return await pools[name].fetchval("SELECT count(*) FROM inbox WHERE consumer = $1", name)

        async def killer(name: str) -> None:
            """Kill `name` once its applied events pass each mark, spread over the stream (mid-work)."""
            marks = sorted(rng.uniform((k + 0.3) / (kills + 1), (k + 0.9) / (kills + 1)) for k in range(kills))
            for mark in marks:
                target = int(mark * expected[name])
                while await applied(name) < target:
                    await asyncio.sleep(0.003)
                await procs[name].kill9()
                kill_log.append(f"{name}@{target}/{expected[name]}")
                await procs[name].start()
                await procs[name].ready()

        producing = asyncio.create_task(produce())
        killers = [asyncio.create_task(killer(name)) for name in ("billing", "notify", "booking")]
        try:
            await asyncio.wait_for(asyncio.gather(producing, *killers), timeout)
        finally:
            for t in (producing, *killers):
                t.cancel()
        say(f"kill9: kills {', '.join(kill_log)}")
        all_lines = [line.booking_id for e in written for line in e.lines]

        async def measure() -> Tally:
            t = Tally(tally.scenario)
            for producer in ("auth", "booking"):
                t.count(f"{producer}.outbox_pending", lost=await pools[producer].fetchval(
                    "SELECT count(*) FROM outbox WHERE sent_at IS NULL"))
            await compare_with_auth(t, pools["auth"], {k: pools[k] for k in ("booking", "billing", "notify")})
            await transmission_effects(t, pools["booking"], pools["billing"], pools["notify"],
                                       expected_lines(line for e in written for line in e.lines))
            return t

        final = await converge(measure, timeout)
        final.figures.update(families=families, transmissions=len(written), lines=len(all_lines),
                             kills=sum(p.kills for p in procs.values()),
                             redelivered_skipped=sum([await _duplicates_skipped(p) for p in procs.values()]))
    final.seconds = time.monotonic() - started
    return final


async def _duplicates_skipped(process: Process) -> int:
    """How many redelivered events the process's inbox skipped (its log lines), over all its runs."""
    try:
        text = process.log_path.read_text(errors="replace")
    except OSError:
        return 0
    return text.count("event already processed, skipped")

