"""The session's side of the gateway (services/gateway/web/): the account auth resolves, the CSRF tokens of
forms, who may open a page, and the rendering that carries both. No server: mocked requests."""

from __future__ import annotations

import uuid

import pytest
from aiohttp import web
from aiohttp.test_utils import make_mocked_request
from multidict import MultiDict

from services.gateway.settings import GatewaySettings
from services.gateway.web import csrf, guards
from services.gateway.web.render import french_date, french_datetime, render, render_text
from services.gateway.web.session import ACCOUNT, SETTINGS, Account, account_of, identity_of

SETTINGS_VALUES = {"identity_secret": "s" * 40, "metrics_token": "m" * 40}
FAMILY = str(uuid.uuid4())
STRUCTURE = str(uuid.uuid4())


def account(**changes) -> Account:
    data = {"account_id": str(uuid.uuid4()), "role": "parent", "family_id": FAMILY, "session_id": str(uuid.uuid4()),
            "structures": [{"id": STRUCTURE, "name": "CarteVille"}], "current_structure_id": STRUCTURE,
            "csrf_token": "jeton-de-session", "must_change_password": False, "pending_consents": [],
            "display_name": "Martin", "login": "famille.martin", "emails": ["a@example.org"]}
    return Account({**data, **changes})


def request(path: str = "/", *, method: str = "GET", who: Account | None = None, cookies: dict | None = None):
    app = web.Application()
    app[SETTINGS] = GatewaySettings.model_validate(SETTINGS_VALUES)
    headers = {"Cookie": "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())} if cookies else None
    req = make_mocked_request(method, path, app=app, headers=headers)
    if who is not None:
        req[ACCOUNT] = who
    return req


def test_the_account_and_its_identity():
    who = account()
    assert who.role == "parent" and who.current_structure == {"id": STRUCTURE, "name": "CarteVille"}
    identity = who.identity
    assert str(identity.family_id) == FAMILY and identity.structures == (uuid.UUID(STRUCTURE),)
    with pytest.raises(AttributeError):
        _ = who.unknown_field
    assert identity_of(request()).role == "anonymous" and account_of(request()) is None


def test_csrf_of_a_session_and_before_sign_in():
    signed = request(who=account())
    assert csrf.csrf_token(signed) == "jeton-de-session"
    assert csrf.csrf_ok(signed, "jeton-de-session") and not csrf.csrf_ok(signed, "autre") and not csrf.csrf_ok(signed, None)
    anonymous = request()
    token = csrf.csrf_token(anonymous)
    assert len(token) > 30 and csrf.csrf_token(anonymous) == token  # one per request
    assert not csrf.csrf_ok(anonymous, token)  # not yet in a cookie
    back = request(cookies={csrf.CSRF_COOKIE: token})
    assert csrf.csrf_token(back) == token and csrf.csrf_ok(back, token)


def test_the_api_reads_the_header():
    app = web.Application()
    app[SETTINGS] = GatewaySettings.model_validate(SETTINGS_VALUES)
    sent = make_mocked_request("POST", "/api/v1/x", app=app, headers={csrf.CSRF_HEADER: "jeton-de-session"})
    sent[ACCOUNT] = account()
    assert csrf.header_ok(sent)
    assert not csrf.header_ok(request(method="POST", who=account()))


async def test_a_form_without_its_token_is_refused():
    req = request(method="POST", who=account())

    async def post():
        return MultiDict({"csrf": "autre", "nom": "x"})

    req.post = post
    with pytest.raises(csrf.CsrfRefused):
        await csrf.checked_form(req)

    async def good():
        return MultiDict({"csrf": "jeton-de-session", "nom": "x"})

    req.post = good
    assert await csrf.checked_form(req) == {"csrf": "jeton-de-session", "nom": "x"}


def test_first_steps_come_first():
    assert guards.pending_step(account()) is None
    assert guards.pending_step(account(must_change_password=True)) == guards.FIRST_LOGIN_PATH
    assert guards.pending_step(account(pending_consents=[{"kind": "cgu"}])) == guards.CONSENTS_PATH


async def test_signed_in_pages():
    @guards.signed_in(roles=guards.STAFF)
    async def page(_request, who):
        return web.Response(text=who.role)

    with pytest.raises(web.HTTPSeeOther) as info:
        await page(request("/gestion?x=1"))
    assert info.value.location == "/connexion?suite=%2Fgestion%3Fx%3D1"
    with pytest.raises(web.HTTPSeeOther) as info:
        await page(request(who=account(role="staff", must_change_password=True)))
    assert info.value.location == guards.FIRST_LOGIN_PATH
    with pytest.raises(web.HTTPForbidden):
        await page(request(who=account()))
    assert (await page(request(who=account(role="admin")))).text == "admin"


def test_render_carries_the_token_and_never_caches():
    anonymous = request()
    response = render(anonymous, "error.html", status=418, title="Titre", message="Message <b>")
    assert response.status == 418 and response.headers["Cache-Control"] == "no-store"
    assert "Message &lt;b&gt;" in response.text
    assert response.cookies[csrf.CSRF_COOKIE].value == csrf.csrf_token(anonymous)


def test_dates_as_paris_reads_them():
    assert french_datetime("2027-01-31T23:30:00+00:00") == "01/02/2027 à 00:30"
    assert french_date("2027-01-31T23:30:00+00:00") == "01/02/2027"
    assert french_datetime(None) == "" and french_date("") == ""


def test_password_rules_are_drawn_from_auths_answer():
    rules = [{"id": "min_length", "label": "Au minimum 8 caractères", "min_length": 8},
             {"id": "digit", "label": "Au moins 1 chiffre", "pattern": r"\p{Nd}"},
             {"id": "max_length", "label": "Au maximum 30 caractères", "max_length": 30}]
    html = render_text("_password_fields.html", rules=rules)
    assert 'data-regle="min_length" data-min="8"' in html
    assert r'data-regle="digit" data-motif="\p{Nd}"' in html
    assert 'data-regle="max_length" data-max="30"' in html
    assert html.count('maxlength="30"') == 2 and "Au moins 1 chiffre" in html
