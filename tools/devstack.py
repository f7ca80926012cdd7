"""`make run`: the whole portal on this machine as plain processes.

Checks PostgreSQL and RabbitMQ, creates and migrates each service's database, loads the demo data,
declares the bus topology (every queue of every subscriber, `services/topology.py`), starts the
mail catcher, the five services (each with its outbox relay) and the gateway, waits until every one is
ready, prints where to look, restarts a process that dies (with back-off), and
stops them all on Ctrl-C.

Environment (all optional):
  PORTAIL_DEV_PG_URL        postgresql://postgres@127.0.0.1:5432   (server; databases are created)
  PORTAIL_DEV_DB_PREFIX     portail_                                (portail_auth, portail_booking…)
  PORTAIL_AMQP_URL          amqp://guest:guest@127.0.0.1:5672/
  PORTAIL_DEV_PORT_BASE     8080   (gateway; auth +1, booking +2, dossier +3, notify +4, billing +5)
  PORTAIL_DEV_MAIL_SMTP_PORT 1025, PORTAIL_DEV_MAIL_HTTP_PORT 8025
  PORTAIL_DEV_LOG_DIR       var/log
  PORTAIL_DEV_NO_DEMO       1 to skip the demo data
  PORTAIL_IDENTITY_SECRET, PORTAIL_PAYMENT_PROVIDER_SECRET, PORTAIL_METRICS_TOKEN
                            random for each run unless set; PORTAIL_DOSSIER_KEY kept in var/dossier.key

The services have no default secret: this dev stack generates them. It also allows eopayment's
payment backend `dummy` (PORTAIL_DEVELOPMENT=1: development only), and the demo data configure it for the demo structure.

`python -m tools.devstack compose-env` writes a `.env` with random secrets for `docker compose up`
(once: an existing file is kept).
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import os
import secrets
import signal
import sys
from pathlib import Path

import aiohttp

from kit.db import connect_or_explain, with_database
from kit.errors import DependencyUnavailable
from kit.settings import DEFAULT_PORTS

SERVICES = ("auth", "booking", "dossier", "notify", "billing")
ROOT = Path(__file__).resolve().parent.parent
# A process that dies is started again after 1 s, then 2, 4… up to 30 s while it keeps dying within a
# minute of its start (Kubernetes' CrashLoopBackOff, shorter).
RESTART_FIRST_DELAY, RESTART_MAX_DELAY, RESTART_RESET_AFTER = 1.0, 30.0, 60.0


def loop_time() -> float:
    return asyncio.get_running_loop().time()


def say(message: str) -> None:
    print(f"[portail] {message}", flush=True)


class DevStack:
    def __init__(self, env: dict[str, str]):
        self.env = env
        self.pg_url = env.get("PORTAIL_DEV_PG_URL", "postgresql://postgres@127.0.0.1:5432").rstrip("/")
        self.db_prefix = env.get("PORTAIL_DEV_DB_PREFIX", "portail_")
        self.amqp_url = env.get("PORTAIL_AMQP_URL", "amqp://guest:guest@127.0.0.1:5672/")
        base = int(env.get("PORTAIL_DEV_PORT_BASE", "8080"))
        self.ports = {name: base + DEFAULT_PORTS[name] - DEFAULT_PORTS["gateway"] for name in DEFAULT_PORTS}
        self.smtp_port = int(env.get("PORTAIL_DEV_MAIL_SMTP_PORT", "1025"))
        self.mail_http_port = int(env.get("PORTAIL_DEV_MAIL_HTTP_PORT", "8025"))
        self.log_dir = Path(env.get("PORTAIL_DEV_LOG_DIR", ROOT / "var" / "log"))
        self.mail_dir = Path(env.get("PORTAIL_DEV_MAIL_DIR", ROOT / "var" / "mail"))
        # No service has a default secret: development ones are random, for this run only.
        self.secret = env.get("PORTAIL_IDENTITY_SECRET") or secrets.token_urlsafe(32)
        self.payment_secret = env.get("PORTAIL_PAYMENT_PROVIDER_SECRET") or secrets.token_urlsafe(32)
        self.metrics_token = env.get("PORTAIL_METRICS_TOKEN") or secrets.token_urlsafe(32)
        self.processes: dict[str, asyncio.subprocess.Process] = {}
        self.commands: dict[str, tuple[str, ...]] = {}

    def dossier_key(self) -> str:
        """The key sealing health data, kept in var/ so that the local data stays readable across runs."""
        from services.dossier.domain.crypto import Sealer

        path = ROOT / "var" / "dossier.key"
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(Sealer.generate_key())
            path.chmod(0o600)
        return path.read_text().strip()

    # -- environment of each process --------------------------------------------------------
    def database_url(self, service: str) -> str:
        return with_database(self.pg_url + "/postgres", f"{self.db_prefix}{service}")

    @property
    def public_url(self) -> str:
        return f"http://127.0.0.1:{self.ports['gateway']}"

    def service_settings(self, name: str) -> dict[str, str]:
        """One process's secrets and development-only settings, by settings field name."""
        extra: dict[str, str] = {}
        if name == "billing":
            extra.update(payment_provider_secret=self.payment_secret, development="1",
                         public_url=self.public_url)
        if name == "gateway":
            extra.update(metrics_token=self.metrics_token, development="1")
        if name == "dossier":
            extra["dossier_key"] = self.env.get("PORTAIL_DOSSIER_KEY") or self.dossier_key()
        return extra

    def process_env(self, name: str) -> dict[str, str]:
        env = {**self.env, "PORTAIL_IDENTITY_SECRET": self.secret, "PORTAIL_AMQP_URL": self.amqp_url,
               "PORTAIL_HTTP_HOST": "127.0.0.1", "PORTAIL_HTTP_PORT": str(self.ports[name]),
               "PYTHONUNBUFFERED": "1"}
        if name in SERVICES:
            env["PORTAIL_DATABASE_URL"] = self.database_url(name)
        if name == "notify":
            env.update(PORTAIL_SMTP_HOST="127.0.0.1", PORTAIL_SMTP_PORT=str(self.smtp_port), PORTAIL_SMTP_TLS="none",
                       PORTAIL_PUBLIC_URL=f"http://127.0.0.1:{self.ports['gateway']}/")
        if name == "gateway":
            for service in SERVICES:
                env[f"PORTAIL_{service.upper()}_URL"] = f"http://127.0.0.1:{self.ports[service]}"
            env["PORTAIL_PUBLIC_URL"] = f"http://127.0.0.1:{self.ports['gateway']}"
            env["PORTAIL_COOKIE_SECURE"] = "false"  # served over plain http on this machine
        env.update({f"PORTAIL_{key.upper()}": value for key, value in self.service_settings(name).items()})
        if name == "dossier":
            env.setdefault("PORTAIL_DOCUMENTS_DIR", str(ROOT / "var" / "documents"))
        if name == "auth":
            env["PORTAIL_PUBLIC_URL"] = f"http://127.0.0.1:{self.ports['gateway']}"
        return env

    # -- steps -------------------------------------------------------------------------------
    async def check_dependencies(self) -> None:
        conn = await connect_or_explain(self.pg_url + "/postgres", timeout=5)
        await conn.close()
        from kit.bus import connect

        connection = await connect(self.amqp_url)
        await connection.close()

    async def migrate_all(self) -> None:
        """Create and migrate every database here (one import, not five processes), then demo data."""
        import importlib

        from kit.db import create_pool

        for name in SERVICES:
            service = importlib.import_module(f"services.{name}.app").service
            settings = service.settings_cls(database_url=self.database_url(name), identity_secret=self.secret,
                                            amqp_url=self.amqp_url, **self.service_settings(name))
            await service.migrate(settings)
            if "demo" in service.commands and self.env.get("PORTAIL_DEV_NO_DEMO") != "1":
                pool = await create_pool(settings.database_url, max_size=1)
                try:
                    await service.commands["demo"](settings, pool)
                finally:
                    await pool.close()

    async def load_demo_history(self) -> None:
        """The demo's past (issue 16): once the services run and auth's facts have reached the others, each
        service's `demo-history` (auth's other families, booking's past months booked and transmitted, billing's
        invoices of them, dossier's families at their states), in that order. A failure leaves the portal running without that history."""
        import importlib

        from kit.db import create_pool

        for name in ("auth", "booking", "billing", "dossier"):
            service = importlib.import_module(f"services.{name}.app").service
            settings = service.settings_cls(database_url=self.database_url(name), identity_secret=self.secret,
                                            amqp_url=self.amqp_url, **self.service_settings(name))
            pool = await create_pool(settings.database_url, max_size=1)
            try:
                await service.commands["demo-history"](settings, pool)
            except Exception as exc:  # noqa: BLE001 - the demo's past is a nicety: said, never fatal
                say(f"historique de démonstration incomplet ({name}) : {exc}")
                return
            finally:
                await pool.close()

    async def declare_topology(self) -> None:
        """Every exchange, queue, binding and dead-letter queue of the bus before any service publishes
        (services/topology.py, docs/adr/0006)."""
        import aio_pika

        from kit.topology import TopologyError
        from services.topology import declare, portal_topology

        try:
            registry = portal_topology()
            await declare(self.amqp_url, registry)
        except (TopologyError, aio_pika.exceptions.AMQPError) as exc:
            raise RuntimeError(f"topologie du bus non déclarée : {exc}") from exc
        say(f"topologie du bus déclarée : {len(registry.queues)} files pour {len(registry.subscribers)} abonnés")

    async def start(self, name: str, *args: str) -> None:
        self.log_dir.mkdir(parents=True, exist_ok=True)
        log = open(self.log_dir / f"{name}.log", "ab")  # noqa: SIM115, ASYNC230 - opened once per start, kept open for the child's life
        env = self.process_env(name) if name != "mailcatcher" else {
            **self.env, "PORTAIL_MAILCATCHER_SMTP_PORT": str(self.smtp_port),
            "PORTAIL_MAILCATCHER_HTTP_PORT": str(self.mail_http_port),
            "PORTAIL_MAILCATCHER_DIR": str(self.mail_dir), "PYTHONUNBUFFERED": "1"}
        self.commands[name] = args
        self.processes[name] = await asyncio.create_subprocess_exec(
            sys.executable, *args, env=env, cwd=ROOT, stdout=log, stderr=asyncio.subprocess.STDOUT,
            start_new_session=True)

    async def wait_ready(self, timeout: float = 60) -> None:
        urls = {name: f"http://127.0.0.1:{self.ports[name]}/readyz" for name in ("gateway", *SERVICES)}
        urls["mailcatcher"] = f"http://127.0.0.1:{self.mail_http_port}/healthz"
        pending = dict(urls)
        deadline = asyncio.get_running_loop().time() + timeout
        async with aiohttp.ClientSession(timeout=aiohttp.ClientTimeout(total=2)) as http:
            while pending:
                for name, url in list(pending.items()):
                    proc = self.processes[name]
                    if proc.returncode is not None:
                        tail = (self.log_dir / f"{name}.log").read_text(errors="replace")[-2000:]
                        raise RuntimeError(f"{name} s'est arrêté au démarrage (code {proc.returncode}). "
                                           f"Fin de {self.log_dir / (name + '.log')} :\n{tail}")
                    try:
                        async with http.get(url) as resp:
                            if resp.status == 200:
                                del pending[name]
                    except (TimeoutError, aiohttp.ClientError):
                        pass
                if pending and asyncio.get_running_loop().time() > deadline:
                    raise RuntimeError(f"pas prêts après {timeout:.0f} s : {', '.join(pending)} "
                                       f"(voir les journaux dans {self.log_dir})")
                await asyncio.sleep(0.2)

    async def supervise(self, stop: asyncio.Event) -> None:
        """Until Ctrl-C, restart any process that dies, as Kubernetes would: after 1 s, then twice as long
        after each death that comes less than a minute after its start (at most 30 s), logged here."""
        delays = dict.fromkeys(self.processes, RESTART_FIRST_DELAY)
        started = {name: loop_time() for name in self.processes}
        stopper = asyncio.create_task(stop.wait())
        try:
            while not stop.is_set():
                watchers = {asyncio.create_task(p.wait()): n for n, p in self.processes.items()}
                done, _ = await asyncio.wait([stopper, *watchers], return_when=asyncio.FIRST_COMPLETED)
                for task in watchers:
                    task.cancel()
                if stopper in done:
                    return
                for name in [watchers[t] for t in done if t in watchers]:
                    if loop_time() - started[name] > RESTART_RESET_AFTER:
                        delays[name] = RESTART_FIRST_DELAY  # it ran well for a while: start again quickly
                    delay = delays[name]
                    say(f"{name} s'est arrêté (code {self.processes[name].returncode}) ; redémarrage dans "
                        f"{delay:.0f} s (voir {self.log_dir / (name + '.log')})")
                    with contextlib.suppress(TimeoutError):
                        await asyncio.wait_for(stop.wait(), delay)
                    if stop.is_set():
                        return
                    await self.start(name, *self.commands[name])
                    started[name] = loop_time()
                    delays[name] = min(delay * 2, RESTART_MAX_DELAY)
        finally:
            stopper.cancel()

    async def stop_all(self) -> None:
        for proc in self.processes.values():
            if proc.returncode is None:
                proc.send_signal(signal.SIGTERM)
        for name, proc in self.processes.items():
            try:
                await asyncio.wait_for(proc.wait(), timeout=25)
            except TimeoutError:
                say(f"{name} ne s'arrête pas, arrêt forcé")
                proc.kill()
                await proc.wait()

    async def start_everything(self) -> None:
        say("vérification de PostgreSQL et RabbitMQ…")
        await self.check_dependencies()
        say("création et migration des bases de données…")
        await self.migrate_all()
        await self.declare_topology()
        say("démarrage du récepteur de courriels, des services et de la passerelle…")
        await self.start("mailcatcher", "-m", "tools.mailcatcher")
        for service in SERVICES:
            await self.start(service, "-m", f"services.{service}")
        await self.start("gateway", "-m", "services.gateway")
        await self.wait_ready()
        if self.env.get("PORTAIL_DEV_NO_DEMO") != "1":
            await self.load_demo_history()

    async def run(self) -> int:
        # Ctrl-C is heard from the first moment: during the start (migrations, services not ready yet) it stops
        # what was started, rather than being lost until the portal is ready
        stop = asyncio.Event()
        loop = asyncio.get_running_loop()
        for sig in (signal.SIGINT, signal.SIGTERM):
            loop.add_signal_handler(sig, stop.set)
        starting = asyncio.create_task(self.start_everything())
        stopper = asyncio.create_task(stop.wait())
        await asyncio.wait([starting, stopper], return_when=asyncio.FIRST_COMPLETED)
        stopper.cancel()
        if not starting.done():
            starting.cancel()
            with contextlib.suppress(asyncio.CancelledError, Exception):
                await starting
            say("arrêt demandé pendant le démarrage : arrêt de ce qui a démarré…")
            await self.stop_all()
            say("arrêté.")
            return 130
        try:
            starting.result()
        except DependencyUnavailable as exc:
            say(str(exc))
            await self.stop_all()
            return 3
        except RuntimeError as exc:
            say(str(exc))
            await self.stop_all()
            return 1

        say("le portail est prêt :")
        say(f"  Portail Famille           http://127.0.0.1:{self.ports['gateway']}/")
        say(f"  courriels envoyés         http://127.0.0.1:{self.mail_http_port}/  (et {self.mail_dir})")
        say(f"  journaux                  {self.log_dir}/<service>.log")
        say(f"  métriques                 {self.public_url}/metrics  (en-tête Authorization: Bearer "
            f"{self.metrics_token})")
        if self.env.get("PORTAIL_DEV_NO_DEMO") != "1":
            from services.auth.demo import DEMO_ACCOUNTS

            say("  comptes de démonstration (identifiant / mot de passe initial) :")
            for login, password in DEMO_ACCOUNTS:
                say(f"    {login:<18} {password}")
        say("Ctrl-C pour tout arrêter.")
        await self.supervise(stop)
        code = 0
        say("arrêt de tous les processus…")
        await self.stop_all()
        failed = {n: p.returncode for n, p in self.processes.items() if p.returncode != 0}
        if failed:
            say("arrêt anormal : " + ", ".join(f"{n} (code {c})" for n, c in failed.items()))
            code = 1
        say("arrêté.")
        return code


def compose_env(path: Path) -> bool:
    """Write random secrets for `docker compose up` to `path` (a .env file); an existing file is kept.
    Returns whether it was written."""
    if path.exists():
        return False
    lines = [
        "# Secrets of the local docker compose stack, generated by `python -m tools.devstack compose-env`.",
        "# Never commit this file; never reuse these values elsewhere.",
        f"PORTAIL_IDENTITY_SECRET={secrets.token_urlsafe(32)}",
        f"PORTAIL_PAYMENT_PROVIDER_SECRET={secrets.token_urlsafe(32)}",
        f"PORTAIL_METRICS_TOKEN={secrets.token_urlsafe(32)}",
        f"PORTAIL_DOSSIER_KEY={base64.urlsafe_b64encode(os.urandom(32)).decode()}",  # a Fernet key
    ]
    path.write_text("\n".join(lines) + "\n")
    path.chmod(0o600)
    return True


def main() -> None:
    if sys.argv[1:] == ["compose-env"]:
        path = ROOT / ".env"
        say(f"{path} écrit avec des secrets aléatoires." if compose_env(path)
            else f"{path} existe déjà : il est conservé.")
        return
    from kit.logging import configure_logging

    configure_logging("devstack", "WARNING")  # the services log to their own files
    sys.exit(asyncio.run(DevStack(dict(os.environ)).run()))


if __name__ == "__main__":
    main()
