"""bench.booking_year's portal for the rush: booking, auth (its own scratch database, one parent account per
family of the year) and the gateway in front of them, each in a process of its own as deployed, and the parents signed in through the
gateway's sign-in page, each from an address of its own (the gateway trusts the benchmark as its proxy, as
an ingress; X-Forwarded-For in 198.18.0.0/15, RFC 2544's benchmarking range).

BENCH_PROFILE=<folder> runs each service under cProfile (`<service>.prof` written there when it stops);
BENCH_KEEP_LOGS=1 keeps the services' logs (their folder is printed) instead of removing them."""

from __future__ import annotations

import asyncio
import contextlib
import os
import re
import shutil
import sys
import tempfile
import time
import uuid
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass
from pathlib import Path

import aiohttp
import asyncpg

from bench.booking_year.data import Year
from bench.booking_year.drive import SECRET
from bench.common import ROOT, free_port
from kit import db, migrations
from services.auth.hashing import PasswordHasher

PASSWORD = "Rentree-Parents-2027"
CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')
SIGN_IN_CONCURRENCY = 8  # parents signing in at once before the opening (argon2: ~2 cores' worth)


def client_address(n: int) -> str:
    n %= 2 ** 17
    return f"198.{18 + (n >> 16)}.{(n >> 8) & 255}.{n & 255}"


@dataclass
class Parent:
    family: uuid.UUID
    login: str
    address: str
    cookie: str = ""  # the session cookie's "name=value"
    csrf: str = ""


async def _accounts(dsn: str, families: list[uuid.UUID]) -> None:
    """A structure, the families and their parent accounts (password renewed, CGU and RGPD accepted)."""
    password_hash = await asyncio.to_thread(PasswordHasher().hash, PASSWORD)
    conn = await asyncpg.connect(dsn)
    try:
        async with conn.transaction():
            structure = uuid.uuid4()
            await conn.execute("INSERT INTO structures (id, name) VALUES ($1, 'Ville du banc')", structure)
            await conn.copy_records_to_table("families", columns=["id", "identifiant", "structure_id"], records=[
                (f, f"RUSH-{i:05d}", structure) for i, f in enumerate(families)])
            accounts = [(uuid.uuid4(), f"rush-{i:05d}", "parent", f, f"Parent {i}", password_hash, False)
                        for i, f in enumerate(families)]
            await conn.copy_records_to_table("accounts", columns=[
                "id", "login", "role", "family_id", "display_name", "password_hash", "must_change_password"],
                records=accounts)
            await conn.execute("""INSERT INTO consents (account_id, kind, version)
                                  SELECT a.id, d.kind, d.version FROM accounts a CROSS JOIN legal_documents d""")
    finally:
        await conn.close()


async def _start(stack: AsyncExitStack, name: str, env: dict[str, str], logs: Path) -> str:
    """One service in a process of its own, as deployed (the rush's load would otherwise share one event loop
    with the load generator); stopped with SIGTERM at the end. Returns its address once ready."""
    port = free_port()
    log = (logs / f"{name}.log").open("wb")
    stack.callback(log.close)
    # BENCH_PROFILE=<folder>: each service runs under cProfile, its profile written there when it stops
    profile = os.environ.get("BENCH_PROFILE")
    profiled = ("-m", "cProfile", "-o", str(Path(profile) / f"{name}.prof")) if profile else ()
    process = await asyncio.create_subprocess_exec(
        sys.executable, *profiled, "-m", f"services.{name}", cwd=ROOT, stdout=log, stderr=asyncio.subprocess.STDOUT,
        env={**os.environ, "PYTHONUNBUFFERED": "1", "PORTAIL_IDENTITY_SECRET": SECRET, "PORTAIL_LOG_LEVEL": "WARNING",
             "PORTAIL_HTTP_HOST": "127.0.0.1", "PORTAIL_HTTP_PORT": str(port), **env})

    async def stop() -> None:
        if process.returncode is None:
            process.terminate()
            try:
                await asyncio.wait_for(process.wait(), 30)
            except TimeoutError:
                process.kill()
                await process.wait()

    stack.push_async_callback(stop)
    url = f"http://127.0.0.1:{port}"
    async with aiohttp.ClientSession() as http:
        for _ in range(600):
            if process.returncode is not None:
                raise RuntimeError(f"{name} exited ({process.returncode}): see {logs / f'{name}.log'}")
            with contextlib.suppress(aiohttp.ClientError):
                async with http.get(url + "/readyz") as resp:
                    if resp.status == 200:
                        return url
            await asyncio.sleep(0.1)
    raise RuntimeError(f"{name} not ready after 60 s: see {logs / f'{name}.log'}")


@asynccontextmanager
async def gateway_portal(booking_dsn: str, amqp: str, auth_dsn: str, year: Year, parents: int):
    """booking, auth and the gateway, each in its process; yields the gateway's address and the parents of
    the rush (accounts made, not signed in yet)."""
    families = list(year.families)[:parents]
    await db.ensure_database(auth_dsn)
    conn = await asyncpg.connect(auth_dsn)
    try:
        await migrations.apply(conn, migrations.service_migrations("auth", ROOT / "services" / "auth" / "migrations"))
    finally:
        await conn.close()
    await _accounts(auth_dsn, families)
    logs = Path(tempfile.mkdtemp(prefix="bench-rush-"))
    async with AsyncExitStack() as stack:
        common = {"PORTAIL_AMQP_URL": amqp}
        booking_url = await _start(stack, "booking", {**common, "PORTAIL_DATABASE_URL": booking_dsn}, logs)
        auth_url = await _start(stack, "auth", {**common, "PORTAIL_DATABASE_URL": auth_dsn}, logs)
        unused = "http://127.0.0.1:9"  # notify, billing, dossier: the rush's pages do not call them
        base = await _start(stack, "gateway", {
            "PORTAIL_AUTH_URL": auth_url, "PORTAIL_BOOKING_URL": booking_url, "PORTAIL_NOTIFY_URL": unused,
            "PORTAIL_BILLING_URL": unused, "PORTAIL_DOSSIER_URL": unused, "PORTAIL_COOKIE_SECURE": "false",
            "PORTAIL_METRICS_TOKEN": "bench-metrics-token-0123456789abcdef",
            "PORTAIL_TRUSTED_PROXIES": "127.0.0.1/32"}, logs)
        yield base, [Parent(f, f"rush-{i:05d}", client_address(i)) for i, f in enumerate(families)]
    if os.environ.get("BENCH_KEEP_LOGS"):  # the services' logs, to read after the run
        print(f"  services' logs kept in {logs}", flush=True)
    else:
        shutil.rmtree(logs, ignore_errors=True)


async def sign_in(http: aiohttp.ClientSession, base: str, parent: Parent) -> None:
    """The sign-in page as a browser uses it: the form, then the post; keeps the session cookie and the
    CSRF token of the page signed in."""
    headers = {"X-Forwarded-For": parent.address}
    async with http.get(base + "/connexion", headers=headers) as resp:
        cookies = "; ".join(f"{k}={m.value}" for k, m in resp.cookies.items())
        csrf = CSRF_RE.search(await resp.text())
    async with http.post(base + "/connexion", allow_redirects=False, headers={**headers, "Cookie": cookies}, data={
            "identifiant": parent.login, "mot_de_passe": PASSWORD, "csrf": csrf.group(1) if csrf else ""}) as resp:
        if resp.status != 303:
            raise RuntimeError(f"{parent.login}: sign-in answered {resp.status}: {(await resp.text())[:200]}")
        parent.cookie = "; ".join(f"{k}={m.value}" for k, m in resp.cookies.items())
    async with http.get(base + "/reservations/suivi", headers={**headers, "Cookie": parent.cookie}) as resp:
        found = CSRF_RE.search(await resp.text())
        if resp.status != 200 or found is None:
            raise RuntimeError(f"{parent.login}: not signed in ({resp.status})")
        parent.csrf = found.group(1)


async def sign_in_all(base: str, parents: list[Parent]) -> float:
    """Every parent signed in before the opening hour; returns the seconds it took."""
    t0 = time.perf_counter()
    queue = list(reversed(parents))
    async with aiohttp.ClientSession(cookie_jar=aiohttp.DummyCookieJar(),
                                     timeout=aiohttp.ClientTimeout(total=120)) as http:
        async def worker() -> None:
            while queue:
                await sign_in(http, base, queue.pop())

        await asyncio.gather(*(worker() for _ in range(SIGN_IN_CONCURRENCY)))
    return time.perf_counter() - t0
