"""An in-process portal for end-to-end tests: auth, notify and the gateway on the real PostgreSQL and
RabbitMQ, a mail catcher, demo data, and a browser-like HTTP client that keeps cookies and CSRF."""

from __future__ import annotations

import re
import socket
import uuid
from contextlib import AsyncExitStack, asynccontextmanager
from dataclasses import dataclass

import aiohttp
import asyncpg
from aiohttp import web

from services.auth import demo
from services.auth.app import service as auth
from services.billing.app import service as billing
from services.booking.app import service as booking
from services.dossier.app import service as dossier
from services.gateway.app import build_app
from services.gateway.settings import GatewaySettings
from services.notify.app import service as notify
from tests.conftest import METRICS_TOKEN, SECRET, database_url, running
from tools.mailcatcher import MailCatcher

CSRF_RE = re.compile(r'name="csrf" value="([^"]+)"')


@dataclass
class Page:
    status: int
    text: str
    url: str
    headers: dict

    @property
    def location(self) -> str | None:
        return self.headers.get("Location")


class Browser:
    """Follows what a person does: load a page, fill its form (with the page's CSRF token), submit."""

    def __init__(self, base: str):
        self.base = base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf: str | None = None

    async def close(self):
        await self.http.close()

    async def _page(self, resp) -> Page:
        text = await resp.text()
        match = CSRF_RE.search(text)
        if match:
            self.csrf = match.group(1)
        return Page(resp.status, text, str(resp.url), dict(resp.headers))

    async def get(self, path: str, follow: bool = True) -> Page:
        async with self.http.get(self.base + path, allow_redirects=follow) as resp:
            return await self._page(resp)

    async def post(self, path: str, fields: dict, follow: bool = True, csrf: bool = True) -> Page:
        data = dict(fields)
        if csrf and "csrf" not in data:
            data["csrf"] = self.csrf or ""
        async with self.http.post(self.base + path, data=data, allow_redirects=follow) as resp:
            return await self._page(resp)

    def cookie(self, name: str) -> str | None:
        for c in self.http.cookie_jar:
            if c.key == name:
                return c.value
        return None

    async def login(self, identifiant: str, password: str) -> Page:
        await self.get("/connexion")
        return await self.post("/connexion", {"identifiant": identifiant, "mot_de_passe": password})


@dataclass
class Portal:
    url: str
    auth_url: str
    catcher: MailCatcher
    auth_db: str
    browsers: list
    booking_url: str = ""
    booking_db: str = ""
    billing_url: str = ""
    billing_db: str = ""
    dossier_url: str = ""
    dossier_db: str = ""
    gateway_app: object = None

    def let_session_copies_expire(self) -> None:
        """The gateway's copies of resolved sessions expire, as its TTL passing would (docs/adr/0015): a change
        made behind its back (straight in auth's database, or through another replica) is seen from now on."""
        from services.gateway.web.session import SESSION_CACHE

        cache = self.gateway_app[SESSION_CACHE]
        clock, ttl = cache.clock, cache.ttl
        cache.clock = lambda: clock() + ttl

    def browser(self) -> Browser:
        browser = Browser(self.url)
        self.browsers.append(browser)
        return browser

    async def close_browsers(self) -> None:
        for browser in self.browsers:
            await browser.close()

    async def db(self) -> asyncpg.Connection:
        return await asyncpg.connect(self.auth_db)


@asynccontextmanager
async def portal(amqp_url: str, db_prefix: str, tmp_path, gateway: dict | None = None, **auth_overrides):
    # Databases of its own for each portal: a test module's accounts (demo passwords renewed in a
    # browser, throttling, campaigns) never leak into another's. All are dropped with the session prefix.
    import uuid as _uuid

    db_prefix = f"{db_prefix}{_uuid.uuid4().hex[:4]}_"
    async with AsyncExitStack() as stack:
        catcher = MailCatcher(smtp_port=0, http_port=0, directory=tmp_path / "mail")
        await catcher.start()
        stack.push_async_callback(catcher.stop)
        notify_url = await stack.enter_async_context(
            running(notify, amqp_url, db_prefix, smtp_port=catcher.smtp_port))
        booking_url = await stack.enter_async_context(running(booking, amqp_url, db_prefix))
        # the gateway's socket first: billing sends online payments back to its public address only
        gateway_socket = socket.socket()
        gateway_socket.bind(("127.0.0.1", 0))
        gateway_url = f"http://127.0.0.1:{gateway_socket.getsockname()[1]}"
        stack.callback(gateway_socket.close)
        billing_url = await stack.enter_async_context(running(
            billing, amqp_url, db_prefix, public_url=gateway_url, development=True))
        from services.dossier.domain.crypto import Sealer

        dossier_url = await stack.enter_async_context(running(
            dossier, amqp_url, db_prefix, dossier_key=Sealer.generate_key(), documents_dir=tmp_path / "documents"))
        auth_url = await stack.enter_async_context(running(auth, amqp_url, db_prefix, **auth_overrides))
        # as `make run` does: the demo structure pays online through eopayment's dummy backend (development)
        billing_db = await asyncpg.connect(database_url(db_prefix, "billing"))
        await billing_db.execute("INSERT INTO payment_backends (structure_id, backend, options) "
                                 "VALUES ($1, 'dummy', '{}'::jsonb) ON CONFLICT DO NOTHING", demo.DEMO_STRUCTURE_ID)
        await billing_db.close()
        pool = await asyncpg.create_pool(database_url(db_prefix, "auth"), min_size=1, max_size=2)
        await demo.load(None, pool)
        # The demo staff and admin as past their first sign-in: the tests call the API with their demo
        # passwords, and the API, like the pages, serves nothing else to an account that must renew it.
        await pool.execute("UPDATE accounts SET must_change_password = false WHERE role IN ('staff', 'admin')")
        await pool.close()

        settings = GatewaySettings(identity_secret=SECRET, auth_url=auth_url, notify_url=notify_url,
                                   booking_url=booking_url, billing_url=billing_url, dossier_url=dossier_url,
                                   cookie_secure=False, amqp_url=amqp_url, public_url=gateway_url,
                                   metrics_token=METRICS_TOKEN, development=True)
        if gateway:  # the test's own gateway settings (e.g. trusted_proxies, as behind an ingress)
            settings = GatewaySettings.model_validate({**settings.model_dump(), **gateway})
        runner = web.AppRunner(build_app(settings), shutdown_timeout=2)
        await runner.setup()
        site = web.SockSite(runner, gateway_socket)
        await site.start()
        stack.push_async_callback(runner.cleanup)
        site_ = Portal(gateway_url, auth_url, catcher, database_url(db_prefix, "auth"), [],
                       booking_url, database_url(db_prefix, "booking"), billing_url,
                       database_url(db_prefix, "billing"), dossier_url, database_url(db_prefix, "dossier"),
                       runner.app)
        stack.push_async_callback(site_.close_browsers)
        yield site_


async def open_activities(portal_: Portal, staff, specs, start, end, structure_id: str) -> tuple[dict, dict]:
    """Staff create activities, publish their tariffs (billing) and open them from `start` to `end`;
    returns their ids and names once booking has its copy of the tariffs. Each spec is
    (key, name, start, end, extra activity fields, price in cents, tariff unit, weekdays)."""
    from tests.conftest import eventually

    tag = uuid.uuid4().hex[:4]
    ids, names = {}, {}
    for key, name, begin, finish, extra, _cents, _unit, _weekdays in specs:
        names[key] = f"{name} {tag}"
        ids[key] = (await staff.call("POST", "/api/v1/booking/activities", {
            "structure_id": structure_id, "name": names[key], "start_time": begin, "end_time": finish, **extra},
            expect=201))["id"]
    for key, _name, _begin, _finish, _extra, cents, unit, _weekdays in specs:
        await staff.call("POST", "/api/v1/billing/tariffs", {
            "structure_id": structure_id, "activity_id": ids[key], "activity_name": key,
            "effective_from": "2026-09-01", "unit": unit, "brackets": [{"qf_max": None, "price_cents": cents}]},
            expect=201)
    conn = await asyncpg.connect(portal_.booking_db)
    try:
        async def copied():
            return await conn.fetchval("SELECT count(*) FROM tariffs WHERE activity_id = ANY($1::uuid[])",
                                       [uuid.UUID(i) for i in ids.values()]) == len(ids)

        await eventually(copied)
    finally:
        await conn.close()
    for key, *_rest, weekdays in specs:
        await staff.call("POST", f"/api/v1/booking/activities/{ids[key]}/openings", {
            "period": "all", "start": start.isoformat(), "end": end.isoformat(), "weekdays": weekdays}, expect=201)
    return ids, names
