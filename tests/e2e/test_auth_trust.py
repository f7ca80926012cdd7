"""Trust boundaries of auth and of the gateway's sign-in and account side (issue 13), on the real stack:
news HTML, one structure's staff against another's families, the API's first-login and consent gates,
sign-in throttling under case variants and parallel guesses, X-Forwarded-For, e-mail changes."""

from __future__ import annotations

import asyncio
import re
import uuid

import aiohttp
import pytest
from aiohttp import web

from kit import identity as ident
from services.auth import demo
from services.auth.domain.policy import ACCOUNT_RULE, GENERIC_LOGIN_FAILURE
from services.gateway.app import build_app
from services.gateway.settings import GatewaySettings
from tests.conftest import SECRET, eventually
from tests.e2e.test_accounts import GOOD, INITIAL, new_family, signed_in_parent
from tests.portal import portal

CARTEVILLE = str(demo.DEMO_STRUCTURE_ID)
UUID_RE = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}")


@pytest.fixture(scope="module")
async def site(amqp_url, db_prefix, tmp_path_factory):
    async with portal(amqp_url, db_prefix, tmp_path_factory.mktemp("trust")) as p:
        yield p


class Api:
    """A user of the JSON API: session cookie + CSRF header; answers as (status, body)."""

    def __init__(self, base: str):
        self.base = base
        self.http = aiohttp.ClientSession(cookie_jar=aiohttp.CookieJar(unsafe=True))
        self.csrf = ""

    async def login(self, identifiant: str, password: str, headers: dict | None = None) -> dict:
        async with self.http.post(self.base + "/api/v1/session", headers=headers,
                                  json={"identifiant": identifiant, "mot_de_passe": password}) as resp:
            assert resp.status == 201, await resp.text()
            data = await resp.json()
        self.csrf = data["csrf_token"]
        return data

    async def call(self, method: str, path: str, body=None, *, data: bytes | None = None,
                   content_type: str | None = None) -> tuple[int, dict | str]:
        headers = {"X-CSRF-Token": self.csrf}
        if content_type:
            headers["Content-Type"] = content_type
        async with self.http.request(method, self.base + path, json=body if data is None else None, data=data,
                                     headers=headers) as resp:
            if resp.content_type.endswith("json"):
                return resp.status, await resp.json()
            return resp.status, await resp.text()

    async def close(self):
        await self.http.close()


@pytest.fixture
async def apis(site):
    opened = []

    async def open_api(identifiant: str, password: str) -> Api:
        api = Api(site.url)
        opened.append(api)
        await api.login(identifiant, password)
        return api

    yield open_api
    for api in opened:
        await api.close()


async def auth_db(site, query: str, *args, fetch: str = "fetchval"):
    conn = await site.db()
    try:
        return await getattr(conn, fetch)(query, *args)
    finally:
        await conn.close()


# -- 1. news HTML --------------------------------------------------------------------------------------------
async def test_news_sent_through_the_api_are_stored_and_shown_without_anything_that_runs(site, apis):
    staff = await apis("agent.carteville", "Demo-Agent-2027")
    news = ('<p onclick="alert(1)">Inscriptions <strong>ouvertes</strong></p>'
            '<script>alert("x")</script><img src="x" onerror="alert(2)">'
            '<a href="javascript:alert(3)">piège</a> <a href="https://ville.example/">la mairie</a>')
    status, body = await staff.call("PUT", f"/api/v1/structures/{CARTEVILLE}/news", {"news_html": news})
    assert status == 204, body

    stored = await auth_db(site, "SELECT news_html FROM structures WHERE id = $1", demo.DEMO_STRUCTURE_ID)
    async with aiohttp.ClientSession() as http:
        async with http.get(site.url + "/") as resp:
            home = await resp.text()
        async with http.get(site.url + "/api/v1/structures") as resp:
            listed = next(s["news_html"] for s in (await resp.json())["structures"] if s["id"] == CARTEVILLE)
    shown = re.search(r'<h2>Mairie de CarteVille</h2>\s*<div class="news">(.*?)</div>\s*<p class="maj">', home,
                      re.DOTALL).group(1)
    for html in (stored, listed, shown):
        assert "<script" not in html and "onerror" not in html and "onclick" not in html
        assert "javascript:" not in html and "alert(" not in html
    assert stored == listed
    assert "<strong>ouvertes</strong>" in stored
    assert '<a href="https://ville.example/" rel="noopener">la mairie</a>' in stored


async def test_rgpd_and_cgu_texts_are_cleaned_like_the_news(site, apis):
    """The texts every family must accept are shown on the consent page: no script there either."""
    admin = await apis("admin.portail", "Demo-Admin-2027")
    text = ('<h2>Vos données</h2><p>Le portail traite <em>vos données</em>.</p>'
            '<script>fetch("/api/v1/session")</script><a href="javascript:alert(1)">lien</a>')
    status, body = await admin.call("POST", "/api/v1/legal/rgpd", {"title": "Notice RGPD", "body_html": text})
    assert status == 201, body
    status, legal = await admin.call("GET", "/api/v1/legal")
    assert status == 200, legal
    shown = next(d["body_html"] for d in legal["documents"] if d["kind"] == "rgpd")
    stored = await auth_db(site, "SELECT body_html FROM legal_documents WHERE kind = 'rgpd' "
                                 "ORDER BY version DESC LIMIT 1")
    for html in (shown, stored):
        assert "<script" not in html and "javascript:" not in html
        assert "<em>vos données</em>" in html


async def test_news_stored_before_the_rule_are_cleaned_on_the_way_out(site):
    second = demo.DEMO_SECOND_STRUCTURE_ID
    await auth_db(site, "UPDATE structures SET news_html = $2 WHERE id = $1", second,
                  '<p>Ancienne actualité</p><script>alert("ancien")</script>', fetch="execute")
    async with aiohttp.ClientSession() as http, http.get(site.url + "/") as resp:
        home = await resp.text()
    shown = re.search(r'<h2>Accueil de loisirs du Bourg</h2>\s*<div class="news">(.*?)</div>\s*<p class="maj">',
                      home, re.DOTALL).group(1)
    assert shown == "<p>Ancienne actualité</p>"


# -- 2. one structure's staff and another's families ----------------------------------------------------------
async def second_structure_staff(site, apis) -> tuple[Api, str, str]:
    """A second structure and its own staff member, created by the administrator through the API."""
    tag = uuid.uuid4().hex[:6]
    admin = await apis("admin.portail", "Demo-Admin-2027")
    status, created = await admin.call("POST", "/api/v1/structures", {"name": f"Mairie de Bourgneuf {tag}"})
    assert status == 201, created
    status, agent = await admin.call("POST", "/api/v1/staff", {
        "login": f"agent.bourgneuf.{tag}", "display_name": "Agent de Bourgneuf",
        "email": f"agent.bourgneuf.{tag}@example.fr", "structure_ids": [created["id"]]})
    assert status == 201, agent
    pages = site.browser()  # the first sign-in asks for a new password
    await pages.login(f"agent.bourgneuf.{tag}", agent["initial_password"])
    page = await pages.post("/mise-a-jour-securite", {"nouveau": "Bourgneuf-Agent-2027",
                                                      "confirmation": "Bourgneuf-Agent-2027"})
    assert "Le mot de passe a bien été enregistré" in page.text
    staff = await apis(f"agent.bourgneuf.{tag}", "Bourgneuf-Agent-2027")
    return staff, created["id"], f"Mairie de Bourgneuf {tag}"


def family_body(identifiant: str, structure_id: str, child: str) -> dict:
    return {"identifiant": identifiant, "responsable": {"first_name": "Claire", "last_name": "LEROY"},
            "emails": [f"{identifiant.lower()}@example.fr"], "structure_id": structure_id,
            "children": [{"first_name": child, "last_name": "LEROY", "birth_date": "2017-06-01"}]}


async def test_staff_of_another_structure_cannot_take_over_a_family_by_its_identifiant(site, apis):
    carteville = await apis("agent.carteville", "Demo-Agent-2027")
    bourgneuf, bourgneuf_id, bourgneuf_name = await second_structure_staff(site, apis)
    identifiant = f"LEROY-{uuid.uuid4().hex[:6].upper()}"
    status, created = await carteville.call("POST", "/api/v1/families", family_body(identifiant, CARTEVILLE, "Tom"))
    assert status == 201
    family_id = created["family_id"]

    # one by one, as typed or in another case
    for typed in (identifiant, identifiant.lower()):
        status, body = await bourgneuf.call("POST", "/api/v1/families", family_body(typed, bourgneuf_id, "Intrus"))
        assert status == 409
        assert body["detail"] == f"L'identifiant « {typed} » est déjà utilisé par un autre compte."
        assert "family_id" not in body and not UUID_RE.search(str(body))
    # by a CSV line
    csv_text = ("identifiant;responsable_nom;responsable_prenom;emails;structure;enfant_prenom;enfant_nom;"
                "enfant_naissance\n"
                f"{identifiant};LEROY;Claire;pirate@example.fr;{bourgneuf_name};Intrus;LEROY;01/06/2017\n").encode()
    status, report = await bourgneuf.call("POST", "/api/v1/families/import", data=csv_text, content_type="text/csv")
    assert status == 200
    assert report["created"] == [] and report["updated"] == [] and report["unchanged"] == []
    assert report["rejected"] == [{"ligne": 2, "identifiant": identifiant,
                                   "motif": f"l'identifiant « {identifiant} » est déjà utilisé par un autre compte"}]
    assert not UUID_RE.search(str(report))

    # nothing was attached, so the family stays out of their reach
    children = await auth_db(site, "SELECT first_name FROM children WHERE family_id = $1",
                             uuid.UUID(family_id), fetch="fetch")
    assert [c["first_name"] for c in children] == ["Tom"]
    assert (await bourgneuf.call("GET", f"/api/v1/families/{family_id}"))[0] == 404
    assert (await bourgneuf.call("POST", f"/api/v1/families/{family_id}/security-update"))[0] == 404
    assert await auth_db(site, "SELECT must_change_password FROM accounts WHERE family_id = $1",
                         uuid.UUID(family_id)) is True  # (new account) unchanged by the attempt above

    # the family's own structure: a 409 that tells no id, and a re-imported line creates nothing twice
    status, body = await carteville.call("POST", "/api/v1/families", family_body(identifiant, CARTEVILLE, "Tom"))
    assert status == 409 and body["detail"] == f"La famille « {identifiant} » existe déjà."
    assert "family_id" not in body and not UUID_RE.search(str(body))
    own_line = ("identifiant;responsable_nom;responsable_prenom;emails;structure;enfant_prenom;enfant_nom;"
                "enfant_naissance\n"
                f"{identifiant};LEROY;Claire;{identifiant.lower()}@example.fr;Mairie de CarteVille;Tom;LEROY;"
                "01/06/2017\n").encode()
    status, report = await carteville.call("POST", "/api/v1/families/import", data=own_line, content_type="text/csv")
    assert status == 200 and report["unchanged"] == [identifiant] and report["rejected"] == []
    assert await auth_db(site, "SELECT count(*) FROM children WHERE family_id = $1", uuid.UUID(family_id)) == 1
    assert (await carteville.call("GET", f"/api/v1/families/{family_id}"))[0] == 200


# -- 3. the API's gates: new password, then RGPD and CGU ---------------------------------------------------
async def test_the_api_serves_nothing_else_before_the_new_password_and_the_consents(site, apis):
    identifiant, _family_id = await new_family(site)
    parent = await apis(identifiant, INITIAL)

    status, body = await parent.call("GET", "/api/v1/booking/children")
    assert status == 403 and body["title"] == "Accès refusé"
    assert body["detail"].startswith("Vous devez d'abord choisir un nouveau mot de passe")
    assert (await parent.call("GET", "/api/v1/dossier/dossier"))[0] == 403
    assert (await parent.call("PUT", "/api/v1/profile/emails", {"emails": "x@example.fr", "password": INITIAL}))[0] \
        == 403
    # what it needs to get through is open
    status, session = await parent.call("GET", "/api/v1/session")
    assert status == 200 and session["must_change_password"] is True
    status, body = await parent.call("POST", "/api/v1/password/required", {"password": GOOD, "confirmation": GOOD})
    assert status == 204, body

    status, body = await parent.call("POST", "/api/v1/booking/calendar", {})
    assert status == 403 and "notice RGPD et des conditions générales d'utilisation" in body["detail"]
    status, legal = await parent.call("GET", "/api/v1/legal")
    assert status == 200 and {d["kind"] for d in legal["documents"]} == {"rgpd", "cgu"}
    status, body = await parent.call("POST", "/api/v1/consents", {"accepted": ["rgpd", "cgu"]})
    assert status == 204, body

    status, body = await parent.call("GET", "/api/v1/booking/children")
    assert status == 200, body
    assert (await parent.call("GET", "/api/v1/session"))[1]["pending_consents"] == []
    assert (await parent.call("DELETE", "/api/v1/session"))[0] == 204


async def test_a_security_update_closes_the_api_again(site, apis):
    _b, identifiant, family_id = await signed_in_parent(site)
    parent = await apis(identifiant, GOOD)
    assert (await parent.call("GET", "/api/v1/booking/children"))[0] == 200
    staff = await apis("agent.carteville", "Demo-Agent-2027")
    assert (await staff.call("POST", f"/api/v1/families/{family_id}/security-update"))[0] == 204
    status, body = await parent.call("GET", "/api/v1/booking/children")
    assert status == 403 and "nouveau mot de passe" in body["detail"]


# -- 4. sign-in throttling --------------------------------------------------------------------------------
async def auth_login(http: aiohttp.ClientSession, site, login: str, password: str,
                     address: str | None = None) -> tuple[int, dict]:
    anonymous = {ident.HEADER: ident.issue(ident.Identity.anonymous(), SECRET)}
    async with http.post(f"{site.auth_url}/v1/login", headers=anonymous, json={
            "login": login, "password": password, "client_address": address}) as resp:
        return resp.status, await resp.json()


def spellings(identifiant: str) -> list[str]:
    """Other ways of typing an identifiant made of "KISS-IRIS-…": case, Unicode look-alikes and case folds."""
    assert identifiant.startswith("KISS-IRIS-")
    tail = identifiant[len("KISS-IRIS"):]
    return [
        identifiant.lower(),
        "\u212aISS-IRIS" + tail,               # KELVIN SIGN
        "K\u0130SS-IRIS" + tail,                # LATIN CAPITAL LETTER I WITH DOT ABOVE (Turkish)
        "KI\u1e9e-IRIS" + tail,                 # LATIN CAPITAL LETTER SHARP S
        "KI\u00df-IRIS" + tail,                 # ß
        "\uff2b\uff29\uff33\uff33-IRIS" + tail,  # full-width letters
        "KISS-\u0130R\u0130S" + tail,
        "kiss-\u0131ris" + tail,                # dotless i
    ]


async def test_every_spelling_that_signs_in_shares_the_account_throttle(site):
    async with aiohttp.ClientSession() as http:
        # which spellings sign in (the same for every identifiant of this shape)
        probe, _ = await new_family(site, identifiant_prefix="KISS-IRIS-")
        signing = [typed for typed in spellings(probe) if (await auth_login(http, site, typed, INITIAL))[0] == 201]
        assert probe.lower() in [s.lower() for s in signing] and len(signing) >= 2

        # wrong guesses spread over those spellings count against the one account
        target, _ = await new_family(site, identifiant_prefix="KISS-IRIS-")
        by_shape = dict(zip(spellings(probe), spellings(target), strict=True))
        guesses = [by_shape[signing[i % len(signing)]] for i in range(ACCOUNT_RULE.free_failures)]
        for typed in guesses:
            status, _ = await auth_login(http, site, typed, "Mauvais-Mot-2027")
            assert status in (401, 429)
        for typed in [target, *(by_shape[s] for s in signing)]:
            status, body = await auth_login(http, site, typed, INITIAL)
            assert status == 429, (typed, body)
            assert "réessayez à partir de" in body["detail"]


async def test_an_identifiant_that_grows_when_normalised_is_refused_like_any_other(site):
    async with aiohttp.ClientSession() as http:
        status, body = await auth_login(http, site, "\ufdfa" * 200, "Mauvais-Mot-2027")  # 3,600 characters in NFKC
    assert status == 401 and body["detail"] == GENERIC_LOGIN_FAILURE


async def test_parallel_wrong_guesses_never_get_more_checks_than_the_limit(site):
    identifiant, _ = await new_family(site)
    async with aiohttp.ClientSession() as http:
        answers = await asyncio.gather(*(auth_login(http, site, identifiant, f"Mauvais-Mot-{i:04d}")
                                         for i in range(40)))
        assert {status for status, _ in answers} <= {401, 429}
        # a checked password answers "Identifiant ou mot de passe incorrect."; a blocked attempt only the delay
        checked = [body for _, body in answers if body["detail"].startswith(GENERIC_LOGIN_FAILURE)]
        assert 1 <= len(checked) <= ACCOUNT_RULE.free_failures
        status, body = await auth_login(http, site, identifiant, INITIAL)
        assert status == 429 and "réessayez à partir de" in body["detail"]
    failures = await auth_db(site, "SELECT failures FROM login_throttle WHERE key = $1",
                             f"login:{identifiant.lower()}")
    assert failures == len(checked)


# -- 5. X-Forwarded-For -------------------------------------------------------------------------------------
async def gateway(site, **overrides):
    """Another gateway in front of the same services, with settings of the test's choosing."""
    settings = GatewaySettings.model_validate({
        "identity_secret": SECRET, "auth_url": site.auth_url, "booking_url": site.booking_url,
        "billing_url": site.billing_url, "dossier_url": site.dossier_url, "cookie_secure": False,
        "metrics_token": "test-metrics-token-0123456789abcdef", **overrides})
    runner = web.AppRunner(build_app(settings), shutdown_timeout=2)
    await runner.setup()
    tcp = web.TCPSite(runner, "127.0.0.1", 0)
    await tcp.start()
    return runner, f"http://127.0.0.1:{tcp._server.sockets[0].getsockname()[1]}"


async def session_address(site, identifiant: str) -> str:
    return await auth_db(site, "SELECT s.client_address FROM sessions s JOIN accounts a ON a.id = s.account_id "
                               "WHERE a.login = $1 ORDER BY s.created_at DESC LIMIT 1", identifiant)


async def test_x_forwarded_for_is_believed_from_trusted_proxies_only(site):
    spoofed = {"X-Forwarded-For": "203.0.113.66"}
    # the proxies are elsewhere (10.0.0.0/8): this peer (127.0.0.1) is a client, its header a lie
    runner, url = await gateway(site, trusted_proxies="10.0.0.0/8")
    try:
        identifiant, _ = await new_family(site)
        client = Api(url)
        await client.login(identifiant, INITIAL, headers=spoofed)
        await client.close()
        assert await session_address(site, identifiant) == "127.0.0.1"
    finally:
        await runner.cleanup()
    # this peer is the trusted proxy: the address it appended counts, not what the client wrote before it
    runner, url = await gateway(site, trusted_proxies="127.0.0.1/32")
    try:
        identifiant, _ = await new_family(site)
        client = Api(url)
        await client.login(identifiant, INITIAL, headers={"X-Forwarded-For": "203.0.113.66, 198.51.100.23"})
        await client.close()
        assert await session_address(site, identifiant) == "198.51.100.23"
    finally:
        await runner.cleanup()
    # and the test portal (no proxy configured) never reads the header
    identifiant, _ = await new_family(site)
    client = Api(site.url)
    await client.login(identifiant, INITIAL, headers=spoofed)
    await client.close()
    assert await session_address(site, identifiant) == "127.0.0.1"


# -- 7. e-mail addresses ---------------------------------------------------------------------------------------
async def test_changing_the_email_addresses_needs_the_password_and_tells_the_previous_address(site, apis):
    tag = uuid.uuid4().hex[:6]
    old, new = f"ancienne.{tag}@example.fr", f"nouvelle.{tag}@example.fr"
    b, identifiant, _family_id = await signed_in_parent(site, emails=(old, f"autre.{tag}@example.fr"))

    async def emails() -> list[str]:
        return list(await auth_db(site, "SELECT emails FROM accounts WHERE login = $1", identifiant))

    await b.get("/profil")
    page = await b.post("/profil/courriels", {"courriels": new, "mot_de_passe_courriels": "Pas-Le-Bon-2027"})
    assert page.status == 422 and "Le mot de passe actuel saisi est incorrect." in page.text
    page = await b.post("/profil/courriels", {"courriels": new})
    assert page.status == 422 and "Saisissez votre mot de passe actuel" in page.text
    parent = await apis(identifiant, GOOD)
    status, body = await parent.call("PUT", "/api/v1/profile/emails", {"emails": new, "password": "Faux-2027-x"})
    assert status == 422 and body["detail"] == "Le mot de passe actuel saisi est incorrect."
    assert await emails() == [old, f"autre.{tag}@example.fr"]

    page = await b.post("/profil/courriels", {"courriels": f"{new}; {old}", "mot_de_passe_courriels": GOOD})
    assert "✓ Vos adresses courriel ont bien été enregistrées" in page.text
    assert await emails() == [new, old]

    async def notice():
        return [m for m in site.catcher.messages if old in m.to]

    [mail] = await eventually(notice)
    assert mail.subject == "Portail Famille : vos adresses courriel ont été modifiées"
    assert f"Les adresses courriel du compte « {identifiant} » du Portail Famille ont été modifiées" in mail.text
    assert "Sinon, changez sans attendre votre mot de passe" in mail.text

    # through the API too, with the password; the previous first address is told
    status, body = await parent.call("PUT", "/api/v1/profile/emails", {"emails": old, "password": GOOD})
    assert status == 200 and body["emails"] == [old]

    async def second_notice():
        return [m for m in site.catcher.messages if new in m.to]

    await eventually(second_notice)
    await asyncio.sleep(0.5)
    assert len(await notice()) == 1  # the refused attempts told nobody


async def test_wrong_current_passwords_are_throttled_like_sign_in(site, apis):
    _b, identifiant, _ = await signed_in_parent(site)
    parent = await apis(identifiant, GOOD)
    for _ in range(ACCOUNT_RULE.free_failures - 1):
        status, _body = await parent.call("PUT", "/api/v1/profile/emails",
                                          {"emails": "x@example.fr", "password": "Mauvais-Mot-2027"})
        assert status == 422
    status, body = await parent.call("PUT", "/api/v1/profile/emails",
                                     {"emails": "x@example.fr", "password": "Mauvais-Mot-2027"})
    assert status == 429 and "réessayez à partir de" in body["detail"]
    status, body = await parent.call("PUT", "/api/v1/profile/emails", {"emails": "x@example.fr", "password": GOOD})
    assert status == 429
    assert await auth_db(site, "SELECT emails FROM accounts WHERE login = $1", identifiant) == ["parent@example.fr"]
