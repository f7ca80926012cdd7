"""`make run`'s engine (tools.devstack) brings the whole portal up as processes, on the real
PostgreSQL and RabbitMQ; requests go through the gateway to the services with one trace id;
Ctrl-C stops everything cleanly; missing infrastructure is explained, not dumped."""

from __future__ import annotations

import contextlib
import json
import os
import random
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from datetime import timedelta
from pathlib import Path

import pytest

from services.auth import demo
from tests.conftest import PG_URL

ROOT = Path(__file__).resolve().parents[2]
SERVICES = ("gateway", "auth", "booking", "dossier", "notify", "billing")


def _ephemeral_low() -> int:
    """The first port the kernel hands out to outgoing connections (Linux; its default elsewhere)."""
    try:
        return int(Path("/proc/sys/net/ipv4/ip_local_port_range").read_text().split()[0])
    except (OSError, ValueError, IndexError):
        return 32768


def free_port_base(span: int = 6) -> int:
    # below the ephemeral range: the stack's own outgoing connections (to PostgreSQL, RabbitMQ, each other)
    # cannot take one of these ports between this check and the services binding them
    high = max(10000 + span + 1, min(40000, _ephemeral_low()) - span)
    for _ in range(50):
        base = random.randrange(10000, high)
        try:
            for port in range(base, base + span):
                with socket.socket() as s:
                    s.bind(("127.0.0.1", port))
            return base
        except OSError:
            continue
    raise RuntimeError("no free port range")


def free_port() -> int:
    """One free port below the ephemeral range (see `free_port_base`)."""
    return free_port_base(1)


def get(url: str, headers: dict[str, str] | None = None) -> tuple[int, str]:
    request = urllib.request.Request(url, headers=headers or {})
    try:
        with urllib.request.urlopen(request, timeout=10) as resp:
            return resp.status, resp.read().decode()
    except urllib.error.HTTPError as exc:
        return exc.code, exc.read().decode()


def log_lines(path: Path) -> list[dict]:
    lines = []
    for raw in path.read_text(errors="replace").splitlines():
        try:
            lines.append(json.loads(raw))
        except json.JSONDecodeError:
            continue
    return lines


@pytest.fixture
def stack_env(amqp_url, db_prefix, tmp_path):
    return {**os.environ, "PORTAIL_AMQP_URL": amqp_url, "PORTAIL_DEV_PG_URL": PG_URL,
            "PORTAIL_DEV_DB_PREFIX": f"{db_prefix}dev_",
            "PORTAIL_DEV_PORT_BASE": str(free_port_base()), "PORTAIL_DEV_MAIL_SMTP_PORT": str(free_port()),
            "PORTAIL_DEV_MAIL_HTTP_PORT": str(free_port()), "PORTAIL_DEV_LOG_DIR": str(tmp_path / "log"),
            "PORTAIL_DEV_MAIL_DIR": str(tmp_path / "mail")}


def start_stack(stack_env: dict[str, str]) -> subprocess.Popen:
    """`make run`'s engine in a process of its own, its output read by `read_until`."""
    return subprocess.Popen([sys.executable, "-m", "tools.devstack"], cwd=ROOT, env=stack_env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)


def read_until(proc: subprocess.Popen, output: list[str], marker: str, limit_s: float = 120) -> None:
    """Collect the stack's output lines until one holds `marker` (or the process ends), within `limit_s`."""
    started = time.monotonic()
    for line in proc.stdout:
        output.append(line)
        if marker in line or proc.poll() is not None:
            break
        assert time.monotonic() - started < limit_s, "".join(output)


def test_whole_stack_runs_traces_through_the_gateway_and_stops_on_ctrl_c(stack_env, tmp_path):
    base = int(stack_env["PORTAIL_DEV_PORT_BASE"])
    started = time.monotonic()
    proc = start_stack(stack_env)
    output = []
    try:
        read_until(proc, output, "Ctrl-C pour tout arrêter")
        ready_after = time.monotonic() - started
        assert "le portail est prêt" in "".join(output), "".join(output)
        assert f"http://127.0.0.1:{base}/" in "".join(output)
        assert f"http://127.0.0.1:{stack_env['PORTAIL_DEV_MAIL_HTTP_PORT']}/" in "".join(output)

        for offset, name in enumerate(SERVICES):
            status, body = get(f"http://127.0.0.1:{base + offset}/readyz")
            assert status == 200, (name, body)
            assert json.loads(body)["service"] == name

        status, page = get(f"http://127.0.0.1:{base}/", headers={"X-Correlation-ID": "e2e-accueil-1"})
        assert status == 200
        assert "Bienvenue sur le Portail Famille" in page and "Mairie de CarteVille" in page

        status, page = get(f"http://127.0.0.1:{base}/nimporte-quoi")
        assert status == 404 and "Page introuvable" in page

        log_dir = Path(stack_env["PORTAIL_DEV_LOG_DIR"])

        def request_line(service: str) -> dict | None:
            return next((entry for entry in log_lines(log_dir / f"{service}.log")
                         if entry.get("event") == "request" and entry.get("correlation_id") == "e2e-accueil-1"), None)

        deadline = time.monotonic() + 10
        while (request_line("gateway") is None or request_line("auth") is None) and time.monotonic() < deadline:
            time.sleep(0.2)
        gateway_line, auth_line = request_line("gateway"), request_line("auth")
        assert gateway_line and auth_line
        assert gateway_line["path"] == "/" and auth_line["path"] == "/v1/structures"
        assert len(gateway_line["trace_id"]) == 32
        assert gateway_line["trace_id"] == auth_line["trace_id"]
    finally:
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=60)
        output.append(rest)

    assert proc.returncode == 0, "".join(output)
    assert "arrêté." in "".join(output)
    for name in ("auth", "booking", "dossier", "notify", "billing"):
        events = [e.get("event") for e in log_lines(Path(stack_env["PORTAIL_DEV_LOG_DIR"]) / f"{name}.log")]
        assert "stopping: no new work, finishing what is in flight" in events, name
    # nothing left listening
    for offset in range(len(SERVICES)):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", base + offset)) != 0
    print(f"stack ready after {ready_after:.1f}s")


def _stack_processes(log_dir: str) -> list[int]:
    """The processes started by a devstack run (they inherit its PORTAIL_DEV_LOG_DIR)."""
    found = []
    marker = f"PORTAIL_DEV_LOG_DIR={log_dir}".encode()
    for entry in Path("/proc").glob("[0-9]*"):
        try:
            if marker in (entry / "environ").read_bytes().split(b"\0"):
                found.append(int(entry.name))
        except (OSError, ValueError):
            continue
    return found


def test_ctrl_c_while_the_stack_starts_stops_what_was_started(stack_env):
    """Ctrl-C before the portal is ready (migrations done, services starting) is not lost: what was started
    is stopped, and the command ends at once."""
    base = int(stack_env["PORTAIL_DEV_PORT_BASE"])
    proc = start_stack(stack_env)
    output = []
    try:
        read_until(proc, output, "démarrage du récepteur de courriels")
        assert "le portail est prêt" not in "".join(output)
        time.sleep(0.5)  # the processes are being started, none is ready yet
        proc.send_signal(signal.SIGINT)
        rest, _ = proc.communicate(timeout=40)
        output.append(rest)
    finally:
        if proc.poll() is None:
            proc.kill()
            proc.communicate()
        left = _stack_processes(stack_env["PORTAIL_DEV_LOG_DIR"])
        for pid in left:  # (never left running by a failed run)
            with contextlib.suppress(ProcessLookupError):
                os.kill(pid, signal.SIGKILL)
    text = "".join(output)
    assert proc.returncode == 130, text
    assert "arrêt demandé pendant le démarrage" in text and "arrêté." in text
    assert "le portail est prêt" not in text
    assert left == [], "processes left running after Ctrl-C"
    for offset in range(len(SERVICES)):
        with socket.socket() as s:
            assert s.connect_ex(("127.0.0.1", base + offset)) != 0


@pytest.mark.parametrize("variable, value, expected", [
    ("PORTAIL_DEV_PG_URL", "postgresql://postgres@127.0.0.1:1", ["PostgreSQL est injoignable", "127.0.0.1:1", "pg_ctlcluster"]),
    ("PORTAIL_AMQP_URL", "amqp://guest:guest@127.0.0.1:1/", ["RabbitMQ est injoignable", "127.0.0.1:1", "rabbitmq-server -detached"]),
])
def test_unreachable_infrastructure_is_explained(stack_env, variable, value, expected):
    env = {**stack_env, variable: value}
    result = subprocess.run([sys.executable, "-m", "tools.devstack"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 3
    for text in expected:
        assert text in result.stdout, result.stdout
    assert "Traceback" not in result.stdout + result.stderr


def test_a_service_without_its_database_url_says_which_variable(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAIL_")}
    env["PORTAIL_IDENTITY_SECRET"] = "x" * 40
    result = subprocess.run([sys.executable, "-m", "services.booking"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 2
    assert "PORTAIL_DATABASE_URL est obligatoire" in result.stderr
    assert "Traceback" not in result.stderr


# -- no default secret (issue 13): each process refuses to start without each of its secrets ----------------
SECRETS = {
    "PORTAIL_IDENTITY_SECRET": "i" * 40,
    "PORTAIL_METRICS_TOKEN": "m" * 40,
    "PORTAIL_DOSSIER_KEY": "k" * 44,
    "PORTAIL_PAYMENT_PROVIDER_SECRET": "p" * 40,
    "PORTAIL_AMQP_URL": "amqp://portail:secret-amqp-password@127.0.0.1:1/portail",  # never reached
}
NEEDS = {"gateway": ["PORTAIL_IDENTITY_SECRET", "PORTAIL_METRICS_TOKEN"],
         "auth": ["PORTAIL_IDENTITY_SECRET", "PORTAIL_AMQP_URL"], "booking": ["PORTAIL_IDENTITY_SECRET", "PORTAIL_AMQP_URL"],
         "dossier": ["PORTAIL_IDENTITY_SECRET", "PORTAIL_DOSSIER_KEY", "PORTAIL_AMQP_URL"],
         "notify": ["PORTAIL_IDENTITY_SECRET", "PORTAIL_AMQP_URL"],
         "billing": ["PORTAIL_IDENTITY_SECRET", "PORTAIL_PAYMENT_PROVIDER_SECRET", "PORTAIL_AMQP_URL"]}


@pytest.mark.parametrize("service, variable", [(s, v) for s, needed in NEEDS.items() for v in needed])
def test_a_process_without_one_of_its_secrets_says_which_variable(service, variable):
    env = {k: v for k, v in os.environ.items() if not k.startswith("PORTAIL_")}
    env.update({k: v for k, v in SECRETS.items() if k != variable})
    env["PORTAIL_DATABASE_URL"] = "postgresql://postgres@127.0.0.1:1/nulle_part"  # never reached
    result = subprocess.run([sys.executable, "-m", f"services.{service}"], cwd=ROOT, env=env, capture_output=True,
                            text=True, timeout=60, check=False)
    assert result.returncode == 2, result.stderr
    assert f"la variable d'environnement {variable} est obligatoire mais absente" in result.stderr
    assert "Traceback" not in result.stderr
    for value in SECRETS.values():
        assert value not in result.stderr  # the others' values are never repeated


def _pid_listening_on(port: int) -> int:
    """The process `make run` started with PORTAIL_HTTP_PORT=port (the service answering there)."""
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes().split(b"\0")
        except OSError:
            continue
        if f"PORTAIL_HTTP_PORT={port}".encode() in environ and b"PORTAIL_DATABASE_URL" in b"".join(environ):
            return int(entry.name)
    raise AssertionError(f"no process listens on {port}")


def _query(dsn: str, sql: str, *args):
    import asyncio

    import asyncpg

    async def run():
        conn = await asyncpg.connect(dsn)
        try:
            return await conn.fetchval(sql, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


def _rows(dsn: str, sql: str, *args) -> list:
    import asyncio

    import asyncpg

    async def run():
        conn = await asyncpg.connect(dsn)
        try:
            return await conn.fetch(sql, *args)
        finally:
            await conn.close()

    return asyncio.run(run())


def _the_demo_looks_alive(prefix: str, family) -> None:
    """Issue 16's first impression: the demo family's past months consumed and invoiced, the school holidays
    of CarteVille's zone with the canteen closed on them, and families at every dossier state."""
    from kit.clock import paris_today
    from services.booking import demo as booking_demo
    from services.booking.domain.school_calendar import holidays_between

    today = paris_today()
    first, last = booking_demo.history_months(today)
    months = _rows(prefix + "billing", "SELECT to_char(day, 'YYYY-MM') AS month, count(*) AS lines, "
                   "count(invoice_id) AS invoiced FROM consumptions WHERE family_id = $1 AND day BETWEEN $2 AND $3 "
                   "GROUP BY 1 ORDER BY 1", family, first, last)
    school_months = [m for m in months if not m["month"].endswith(("-07", "-08"))]
    assert len(school_months) >= 2 and all(m["lines"] >= 8 for m in school_months), months
    assert all(m["invoiced"] == m["lines"] for m in months), months  # billed
    assert _query(prefix + "billing", "SELECT count(*) FROM invoices WHERE family_id = $1", family) >= 2
    assert _query(prefix + "booking", "SELECT count(*) FROM bookings WHERE family_id = $1 AND day < $2 "
                  "AND NOT transmitted", family, today) == 0

    canteen = booking_demo.demo_activity_id(1)
    holidays = {(r["start_day"], r["end_day"]) for r in _rows(
        prefix + "booking", "SELECT start_day, end_day FROM school_holidays WHERE structure_id = $1",
        booking_demo.CARTEVILLE)}
    expected = holidays_between(booking_demo.ZONE, first, today + timedelta(days=120))
    assert expected and {(p.start, p.end) for p in expected} <= holidays
    assert any(p.label == "Vacances de Noël" for p in expected)
    assert _query(prefix + "booking", "SELECT count(*) FROM sessions WHERE activity_id = $1 AND day > $2",
                  canteen, today) > 20
    assert _query(prefix + "booking", "SELECT count(*) FROM sessions s JOIN school_holidays h "
                  "ON s.day BETWEEN h.start_day AND h.end_day AND h.structure_id = $2 WHERE s.activity_id = $1",
                  canteen, booking_demo.CARTEVILLE) == 0

    states = {r["state"]: r["families"] for r in _rows(
        prefix + "dossier", "SELECT state, count(DISTINCT family_id) AS families FROM sheets GROUP BY state")}
    assert {"brouillon", "transmise", "validee", "refusee"} <= set(states), states
    assert _query(prefix + "dossier", "SELECT count(*) FROM families f WHERE NOT EXISTS "
                  "(SELECT 1 FROM sheets s WHERE s.family_id = f.id AND s.state <> 'a_remplir')") >= 1  # DUPONT-0042
    assert _query(prefix + "dossier", "SELECT count(*) FROM sheets WHERE state = 'refusee' "
                  "AND coalesce(refusal_reason, '') <> ''") == 1


def test_a_fresh_run_knows_the_demo_family_everywhere_and_restarts_a_process_that_dies(stack_env):
    """On a fresh virtual host and fresh databases the demo family's children reach booking (they can be
    booked), and a service killed with SIGKILL is started again, as Kubernetes would."""
    import threading

    base = int(stack_env["PORTAIL_DEV_PORT_BASE"])
    proc = subprocess.Popen([sys.executable, "-m", "tools.devstack"], cwd=ROOT, env=stack_env,
                            stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True)
    output: list[str] = []
    reader = threading.Thread(target=lambda: output.extend(proc.stdout), daemon=True)
    reader.start()
    try:
        deadline = time.monotonic() + 120
        while not any("Ctrl-C pour tout arrêter" in line for line in output):
            assert proc.poll() is None and time.monotonic() < deadline, "".join(output)
            time.sleep(0.2)
        prefix = f"{PG_URL}/{stack_env['PORTAIL_DEV_DB_PREFIX']}"
        family = _query(prefix + "auth", "SELECT id FROM families WHERE identifiant = 'DUPONT-0042'")
        deadline = time.monotonic() + 30
        while (_query(prefix + "booking", "SELECT count(*) FROM children WHERE family_id = $1", family) != 2
               and time.monotonic() < deadline):
            time.sleep(0.5)
        assert _query(prefix + "booking", "SELECT count(*) FROM children WHERE family_id = $1", family) == 2
        # the structure's name, which the nightly transmission and the morning digest carry
        assert _query(prefix + "booking", "SELECT name FROM structures WHERE id = $1",
                      demo.DEMO_STRUCTURE_ID) == "Mairie de CarteVille"

        assert not any("historique de démonstration incomplet" in line for line in output), "".join(output)
        _the_demo_looks_alive(prefix, family)

        booking = base + SERVICES.index("booking")
        os.kill(_pid_listening_on(booking), signal.SIGKILL)
        deadline = time.monotonic() + 60
        while not any("booking s'est arrêté" in line for line in output):
            assert time.monotonic() < deadline, "".join(output)
            time.sleep(0.2)
        assert any("redémarrage dans 1 s" in line for line in output), "".join(output)
        status = 0
        while status != 200 and time.monotonic() < deadline:
            time.sleep(0.5)
            try:
                status, _ = get(f"http://127.0.0.1:{booking}/readyz")
            except urllib.error.URLError:
                status = 0  # not listening again yet
        assert status == 200, "".join(output)
        assert proc.poll() is None  # the portal kept running
    finally:
        proc.send_signal(signal.SIGINT)
        proc.wait(timeout=60)
        reader.join(timeout=5)
    assert proc.returncode == 0, "".join(output)
