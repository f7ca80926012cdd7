"""The gateway's session cache (services/gateway/web/session_cache.py, docs/adr/0015): a signed-out session is
refused at once by the replica that signed it out, a session ended elsewhere at most the cache's TTL later, and
a cookie is never answered with another cookie's account. The real gateway application in front of a small
fake auth (sessions in memory); the cache's clock is moved by the test, never by waiting."""

from __future__ import annotations

import asyncio
import uuid

import aiohttp
import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from kit import identity as ident
from services.gateway.app import build_app
from services.gateway.clients import BookingClient
from services.gateway.settings import GatewaySettings
from services.gateway.web.session import SESSION_CACHE, SESSION_COOKIE
from services.gateway.web.session_cache import NOTHING, Drop, SessionCache, stale_after, token_key
from tests.conftest import METRICS_TOKEN, SECRET

TTL = 5.0


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


class FakeAuth:
    """auth's session routes: resolve (counted), sign-out and consents, sessions in memory."""

    def __init__(self) -> None:
        self.sessions: dict[str, dict] = {}  # token -> the account auth answers
        self.resolved = 0
        self.gate: asyncio.Event | None = None  # when set, resolving waits for it (requests that miss together)

    def sign_in(self, login: str, family_id: str | None = None, role: str = "parent") -> str:
        token = f"jeton-{uuid.uuid4().hex}"
        self.sessions[token] = {
            "session_id": str(uuid.uuid4()), "account_id": str(uuid.uuid4()), "login": login, "role": role,
            "family_id": family_id or str(uuid.uuid4()), "display_name": login, "emails": [f"{login}@example.org"],
            "must_change_password": False, "csrf_token": f"csrf-{login}", "structures": [],
            "current_structure_id": None, "pending_consents": []}
        return token

    def end(self, token: str) -> None:
        del self.sessions[token]

    def app(self) -> web.Application:
        async def resolve(request: web.Request):
            token = (await request.json())["token"]
            self.resolved += 1
            if self.gate is not None:
                await self.gate.wait()
            if token not in self.sessions:
                return web.json_response({"detail": "Votre session a expiré."}, status=401)
            return web.json_response(self.sessions[token])

        async def logout(request: web.Request):
            who = ident.verify(request.headers[ident.HEADER], SECRET)
            for token, data in list(self.sessions.items()):
                if data["session_id"] == str(who.session_id):
                    del self.sessions[token]
            return web.Response(status=204)

        app = web.Application()
        app.router.add_post("/v1/sessions/resolve", resolve)
        app.router.add_post("/v1/logout", logout)
        return app


CALENDAR = '{"month":"2027-09","days":[{"date":"2027-09-02","label":"Réservé","actions":["cancel"]}]}'.encode()


def fake_booking() -> web.Application:
    """booking's calendar: its JSON as written, or a French refusal for an unknown month."""

    async def calendar(request: web.Request):
        if (await request.json())["month"] != "2027-09":
            return web.json_response({"detail": "Mois inconnu."}, status=422)
        return web.Response(body=CALENDAR, content_type="application/json")

    app = web.Application()
    app.router.add_post("/v1/calendar", calendar)
    return app


@pytest.fixture
async def portal():
    """(the gateway's test client, the fake auth, the cache's clock)."""
    auth = FakeAuth()
    auth_server, booking_server = TestServer(auth.app()), TestServer(fake_booking())
    await auth_server.start_server()
    await booking_server.start_server()
    settings = GatewaySettings(identity_secret=SECRET, metrics_token=METRICS_TOKEN, cookie_secure=False,
                               auth_url=str(auth_server.make_url("")), booking_url=str(booking_server.make_url("")),
                               session_cache_seconds=TTL)
    app = build_app(settings)
    clock = Clock()
    app[SESSION_CACHE].clock = clock
    client = TestClient(TestServer(app))
    await client.start_server()
    try:
        yield client, auth, clock
    finally:
        await client.close()
        await auth_server.close()
        await booking_server.close()


async def whoami(client: TestClient, token: str) -> tuple[int, str | None]:
    """GET /api/v1/session with this cookie: (status, the login answered)."""
    async with client.get("/api/v1/session", headers={"Cookie": f"{SESSION_COOKIE}={token}"}) as resp:
        return resp.status, (await resp.json())["login"] if resp.status == 200 else None


async def test_sessions_are_resolved_once_per_ttl(portal):
    client, auth, clock = portal
    token = auth.sign_in("martin")
    for _ in range(3):
        assert await whoami(client, token) == (200, "martin")
    assert auth.resolved == 1
    clock.now += TTL  # the copy has expired: auth is asked again (and slides its idle timeout)
    assert await whoami(client, token) == (200, "martin")
    assert auth.resolved == 2


async def test_a_signed_out_session_is_refused_at_once_on_the_same_replica(portal):
    client, auth, _clock = portal
    token = auth.sign_in("martin")
    assert await whoami(client, token) == (200, "martin")
    cookie = {"Cookie": f"{SESSION_COOKIE}={token}"}
    async with client.delete("/api/v1/session", headers={**cookie, "X-CSRF-Token": "csrf-martin"}) as resp:
        assert resp.status == 204
    assert await whoami(client, token) == (401, None)  # the clock has not moved


async def test_a_session_ended_elsewhere_is_refused_at_most_ttl_later(portal):
    client, auth, clock = portal
    token = auth.sign_in("martin")
    assert await whoami(client, token) == (200, "martin")
    auth.end(token)  # signed out through another replica
    clock.now += TTL - 0.1
    assert await whoami(client, token) == (200, "martin")  # the staleness the TTL bounds
    clock.now += 0.1
    assert await whoami(client, token) == (401, None)


async def test_a_cookie_is_never_answered_with_another_account(portal):
    client, auth, _clock = portal
    tokens = {login: auth.sign_in(login) for login in ("martin", "durand", "bernard")}
    auth.gate = asyncio.Event()  # all of them miss together, and each token twice
    pending = [asyncio.ensure_future(whoami(client, tokens[login]))
               for login in ("martin", "durand", "bernard", "durand", "martin", "bernard")]
    while auth.resolved < 3:
        await asyncio.sleep(0)
    auth.gate.set()
    answers = await asyncio.gather(*pending)
    assert answers == [(200, "martin"), (200, "durand"), (200, "bernard"),
                       (200, "durand"), (200, "martin"), (200, "bernard")]
    assert auth.resolved == 3  # the two requests of a cookie shared one resolve
    assert await whoami(client, "jeton-inconnu-0123456789") == (401, None)
    for login, token in tokens.items():
        assert await whoami(client, token) == (200, login)


async def test_a_drop_during_a_resolve_is_not_undone():
    """A sign-out that lands while the same session is being resolved: the answer fetched before it is
    not kept."""
    cache = SessionCache(TTL, 10, Clock())
    gate = asyncio.Event()

    async def fetch(_token):
        await gate.wait()
        return {"account_id": "a", "family_id": "f"}

    resolving = asyncio.ensure_future(cache.resolve("jeton-1", fetch))
    await asyncio.sleep(0)
    cache.drop(Drop(account_id="a"))
    gate.set()
    assert await resolving == {"account_id": "a", "family_id": "f"}
    assert cache.get("jeton-1") is None


def test_the_cache_is_bounded_and_keyed_by_digest():
    cache = SessionCache(TTL, 2, Clock())
    for n in range(3):
        cache.put(f"jeton-{n}", {"account_id": str(n)})
    assert len(cache) == 2 and cache.get("jeton-0") is None and cache.get("jeton-2") == {"account_id": "2"}
    assert all(len(k) == 32 and b"jeton" not in k for k in cache._entries)
    assert token_key("jeton-2") in cache._entries
    assert not SessionCache(0, 10).enabled  # TTL 0: disabled, nothing kept
    disabled = SessionCache(0, 10)
    disabled.put("jeton-0", {"account_id": "0"})
    assert len(disabled) == 0


def test_what_a_change_to_auth_makes_stale():
    family = uuid.uuid4()
    parent = ident.Identity(subject="compte-1", role="parent", family_id=family)
    staff = ident.Identity(subject="agent-1", role="staff")
    anonymous = ident.Identity.anonymous()
    assert stale_after("POST", "/v1/logout", parent) == Drop(account_id="compte-1", family_id=str(family))
    assert stale_after("PUT", "/v1/profile/emails", parent) == Drop(account_id="compte-1", family_id=str(family))
    assert stale_after("POST", "/v1/sessions/resolve", anonymous) == NOTHING
    assert stale_after("POST", "/v1/staff/families/search", staff) == NOTHING
    assert stale_after("GET", "/v1/legal", parent) == NOTHING
    assert stale_after("POST", "/v1/legal/cgu", staff) == Drop(everything=True)
    assert stale_after("POST", "/v1/password/reset", anonymous) == Drop(everything=True)
    assert stale_after("POST", "/v1/password/reset", anonymous, 200) == Drop(everything=True)
    assert stale_after("POST", "/v1/password/reset", anonymous, 422) == NOTHING  # refused: nothing changed
    assert stale_after("POST", "/v1/logout", parent, 503) == Drop(account_id="compte-1", family_id=str(family))

    cache = SessionCache(TTL, 10, Clock())
    cache.put("jeton-1", {"account_id": "compte-1", "family_id": str(family)})
    cache.put("jeton-2", {"account_id": "compte-2", "family_id": str(family)})  # the other guardian
    cache.put("jeton-3", {"account_id": "compte-3", "family_id": "autre"})
    cache.changed_by("PUT", "/v1/profile/emails", parent)
    assert cache.get("jeton-1") is None and cache.get("jeton-2") is None and cache.get("jeton-3") is not None
    cache.changed_by("POST", "/v1/structures", ident.Identity(subject="admin-1", role="admin"))
    assert len(cache) == 0


async def test_the_api_passes_a_services_json_on_as_written(portal):
    """A forwarded answer is not decoded and written again (docs/adr/0015); a refusal still comes as the API's
    problem, in French."""
    client, auth, _clock = portal
    token = auth.sign_in("martin")
    headers = {"Cookie": f"{SESSION_COOKIE}={token}", "X-CSRF-Token": "csrf-martin"}
    body = {"child_id": str(uuid.uuid4()), "month": "2027-09"}
    async with client.post("/api/v1/booking/calendar", json=body, headers=headers) as resp:
        assert resp.status == 200 and resp.content_type == "application/json" and resp.charset == "utf-8"
        assert await resp.read() == CALENDAR
    async with client.post("/api/v1/booking/calendar", json={**body, "month": "2027-13"}, headers=headers) as resp:
        assert resp.status == 422 and resp.content_type == "application/problem+json"
        assert (await resp.json())["detail"] == "Mois inconnu."


async def test_a_familys_children_are_kept_for_the_ttl_and_never_shown_to_another():
    asked: list[str] = []

    async def children(request: web.Request):
        who = ident.verify(request.headers[ident.HEADER], SECRET)
        asked.append(str(who.family_id))
        return web.json_response({"children": [{"id": f"enfant-de-{who.family_id}"}]})

    async def enrol(_request):
        return web.json_response({"enrolled": 1})

    app = web.Application()
    app.router.add_get("/v1/children", children)
    app.router.add_post("/v1/activities/{id}/enrolments", enrol)
    server = TestServer(app)
    await server.start_server()
    clock = Clock()
    martin, durand = (ident.Identity(subject=str(uuid.uuid4()), role="parent", family_id=uuid.uuid4())
                      for _ in range(2))
    staff = ident.Identity(subject=str(uuid.uuid4()), role="staff")
    try:
        async with aiohttp.ClientSession() as session:
            booking = BookingClient(session, str(server.make_url("")), SECRET)
            booking.children_seconds, booking.clock = TTL, clock
            assert await booking.children(martin) == [{"id": f"enfant-de-{martin.family_id}"}]
            assert await booking.children(martin) == [{"id": f"enfant-de-{martin.family_id}"}]
            assert await booking.children(durand) == [{"id": f"enfant-de-{durand.family_id}"}]
            assert asked == [str(martin.family_id), str(durand.family_id)]
            clock.now += TTL
            await booking.children(martin)
            await booking.enrol(staff, str(uuid.uuid4()), [str(uuid.uuid4())])  # staff change: forgotten at once
            await booking.children(martin)
            assert asked == [str(martin.family_id), str(durand.family_id)] + [str(martin.family_id)] * 2
    finally:
        await server.close()


async def test_hits_and_misses_are_counted_for_the_metrics():
    """`portail_gateway_session_cache_lookups_total{result}`: what the operator reads the hit rate from."""
    from prometheus_client import REGISTRY

    def count(result: str) -> float:
        return REGISTRY.get_sample_value("portail_gateway_session_cache_lookups_total", {"result": result}) or 0.0

    clock = Clock()
    cache = SessionCache(TTL, 10, clock)
    hits, misses = count("hit"), count("miss")

    async def fetch(_token):
        return {"account_id": "a", "family_id": "f"}

    await cache.resolve("jeton-m", fetch)
    await cache.resolve("jeton-m", fetch)
    clock.now += TTL  # expired: auth is asked again
    await cache.resolve("jeton-m", fetch)
    assert (count("hit") - hits, count("miss") - misses) == (1, 2)
