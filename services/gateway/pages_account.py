"""Sign-in, first login / security update, RGPD & CGU, reset, profile, sign-out, structure choice."""

from __future__ import annotations

from aiohttp import web

from kit import identity as ident
from services.gateway.render import render
from services.gateway.session import (
    BACKEND,
    CONSENTS_PATH,
    FIRST_LOGIN_PATH,
    SESSION_COOKIE,
    Account,
    account_of,
    checked_form,
    client_address,
    identity_of,
    safe_next,
    set_session_cookie,
    signed_in,
)

PASSWORD_RULES = (
    ("min_length", "Au minimum 8 caractères alpha-numériques (symboles autorisés)"),
    ("lower", "Au moins 1 lettre en minuscule"),
    ("upper", "Au moins 1 lettre en majuscule"),
    ("digit", "Au moins 1 chiffre"),
    ("max_length", "Au maximum 30 caractères"),
)


def _auth(request: web.Request):
    return request.app[BACKEND]


def _messages(body) -> list[str]:
    if isinstance(body, dict):
        return body.get("messages") or [body.get("detail") or "Votre demande n'a pas pu aboutir."]
    return ["Votre demande n'a pas pu aboutir."]


# -- sign-in ------------------------------------------------------------------------------------
async def login_page(request: web.Request) -> web.Response:
    if account_of(request):
        raise web.HTTPSeeOther(safe_next(request.query.get("suite")))
    return render(request, "login.html", suite=safe_next(request.query.get("suite")))


async def login_submit(request: web.Request) -> web.Response:
    form = await checked_form(request)
    login, password = form.get("identifiant", "").strip(), form.get("mot_de_passe", "")
    suite = safe_next(form.get("suite"))
    if not login or not password:
        return render(request, "login.html", status=400, suite=suite, identifiant=login,
                      error="Saisissez votre identifiant et votre mot de passe.")
    status, body = await _auth(request).request(
        "auth", "POST", "/v1/login", ident.Identity.anonymous(),
        json={"login": login, "password": password, "client_address": client_address(request)})
    if status != 201:
        return render(request, "login.html", status=429 if status == 429 else 401, suite=suite, identifiant=login,
                      error=(body or {}).get("detail", "Identifiant ou mot de passe incorrect."))
    response = web.HTTPSeeOther(suite)
    set_session_cookie(request, response, body["session_token"])
    raise response


async def logout(request: web.Request) -> web.Response:
    await checked_form(request)
    account = account_of(request)
    if account:
        await _auth(request).request("auth", "POST", "/v1/logout", account.identity)
    response = web.HTTPSeeOther("/connexion")
    response.del_cookie(SESSION_COOKIE, path="/")
    raise response


# -- first login / security update ----------------------------------------------------------------
@signed_in(allow_pending=True)
async def required_password_page(request: web.Request, account: Account) -> web.Response:
    if not account.must_change_password:
        raise web.HTTPSeeOther("/")
    return render(request, "password_required.html", rules=PASSWORD_RULES)


@signed_in(allow_pending=True)
async def required_password_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    status, body = await _auth(request).request(
        "auth", "POST", "/v1/password/required", account.identity,
        json={"password": form.get("nouveau", ""), "confirmation": form.get("confirmation", "")})
    if status == 409:
        raise web.HTTPSeeOther("/")
    if status != 204:
        return render(request, "password_required.html", status=422, rules=PASSWORD_RULES, errors=_messages(body))
    return render(request, "password_saved.html",
                  next_url=CONSENTS_PATH if account.pending_consents else "/")


# -- RGPD and CGU ---------------------------------------------------------------------------------
async def _documents(request: web.Request) -> list[dict]:
    body = await _auth(request).get_json("auth", "/v1/legal", identity_of(request))
    return body["documents"]


@signed_in(allow_pending=True)
async def consents_page(request: web.Request, account: Account) -> web.Response:
    if account.must_change_password:
        raise web.HTTPSeeOther(FIRST_LOGIN_PATH)
    if not account.pending_consents:
        raise web.HTTPSeeOther("/")
    pending = {p["kind"] for p in account.pending_consents}
    documents = [d for d in await _documents(request) if d["kind"] in pending]
    return render(request, "consents.html", documents=documents)


@signed_in(allow_pending=True)
async def consents_submit(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    accepted = [kind for kind in ("rgpd", "cgu") if form.get(f"accepte_{kind}") == "oui"]
    status, body = await _auth(request).request("auth", "POST", "/v1/consents", account.identity,
                                                json={"accepted": accepted})
    if status != 204:
        pending = {p["kind"] for p in account.pending_consents}
        documents = [d for d in await _documents(request) if d["kind"] in pending]
        return render(request, "consents.html", status=422, documents=documents, errors=_messages(body))
    raise web.HTTPSeeOther("/")


# -- password reset ---------------------------------------------------------------------------------
async def reset_request_page(request: web.Request) -> web.Response:
    return render(request, "reset_request.html")


async def reset_request_submit(request: web.Request) -> web.Response:
    form = await checked_form(request)
    login, email = form.get("identifiant", "").strip(), form.get("courriel", "").strip()
    if not login or not email:
        return render(request, "reset_request.html", status=400, identifiant=login, courriel=email,
                      error="Saisissez votre identifiant et votre adresse courriel.")
    status, _ = await _auth(request).request("auth", "POST", "/v1/password/reset-requests",
                                             ident.Identity.anonymous(), json={"login": login, "email": email})
    if status != 202:
        return render(request, "reset_request.html", status=400, identifiant=login, courriel=email,
                      error="Votre demande n'a pas pu être enregistrée. Vérifiez votre saisie.")
    return render(request, "reset_sent.html")


async def _link_valid(request: web.Request, token: str) -> bool:
    status, body = await _auth(request).request("auth", "POST", "/v1/password/reset-links/check",
                                                ident.Identity.anonymous(), json={"token": token})
    return status == 200 and body["valid"]


async def reset_form_page(request: web.Request) -> web.Response:
    token = request.match_info["token"]
    if not await _link_valid(request, token):
        return render(request, "reset_invalid.html", status=410)
    return render(request, "reset_form.html", rules=PASSWORD_RULES, token=token)


async def reset_form_submit(request: web.Request) -> web.Response:
    form = await checked_form(request)
    token = request.match_info["token"]
    status, body = await _auth(request).request(
        "auth", "POST", "/v1/password/reset", ident.Identity.anonymous(),
        json={"token": token, "password": form.get("nouveau", ""), "confirmation": form.get("confirmation", "")})
    if status == 410 or status == 422 and not await _link_valid(request, token):
        return render(request, "reset_invalid.html", status=410)
    if status != 204:
        return render(request, "reset_form.html", status=422, rules=PASSWORD_RULES, token=token,
                      errors=_messages(body))
    response = render(request, "reset_done.html")
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


# -- profile ------------------------------------------------------------------------------------------
@signed_in()
async def profile_page(request: web.Request, account: Account) -> web.Response:
    return render(request, "profile.html", rules=PASSWORD_RULES, emails="; ".join(account.emails),
                  done=request.query.get("fait"))


@signed_in()
async def profile_password(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    status, body = await _auth(request).request(
        "auth", "POST", "/v1/password/change", account.identity,
        json={"current": form.get("actuel", ""), "password": form.get("nouveau", ""),
              "confirmation": form.get("confirmation", "")})
    if status != 204:
        return render(request, "profile.html", status=422, rules=PASSWORD_RULES, emails="; ".join(account.emails),
                      password_errors=_messages(body))
    raise web.HTTPSeeOther("/profil?fait=mot-de-passe")


@signed_in()
async def profile_emails(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    status, body = await _auth(request).request("auth", "PUT", "/v1/profile/emails", account.identity,
                                                json={"emails": form.get("courriels", ""),
                                                      "password": form.get("mot_de_passe_courriels", "")})
    if status != 200:
        return render(request, "profile.html", status=429 if status == 429 else 422, rules=PASSWORD_RULES,
                      emails=form.get("courriels", ""), email_errors=_messages(body))
    raise web.HTTPSeeOther("/profil?fait=courriels")


@signed_in()
async def choose_structure(request: web.Request, account: Account) -> web.Response:
    form = await checked_form(request)
    status, _ = await _auth(request).request("auth", "POST", "/v1/sessions/structure", account.identity,
                                             json={"structure_id": form.get("structure", "")})
    if status not in (204, 422):
        raise web.HTTPForbidden(text="Vous n'avez pas accès à cette structure.")
    raise web.HTTPSeeOther(safe_next(form.get("suite")))


def routes(app: web.Application) -> None:
    r = app.router
    r.add_get("/connexion", login_page)
    r.add_post("/connexion", login_submit)
    r.add_post("/deconnexion", logout)
    r.add_get(FIRST_LOGIN_PATH, required_password_page)
    r.add_post(FIRST_LOGIN_PATH, required_password_submit)
    r.add_get(CONSENTS_PATH, consents_page)
    r.add_post(CONSENTS_PATH, consents_submit)
    r.add_get("/reinitialisation", reset_request_page)
    r.add_post("/reinitialisation", reset_request_submit)
    r.add_get("/reinitialisation/{token}", reset_form_page)
    r.add_post("/reinitialisation/{token}", reset_form_submit)
    r.add_get("/profil", profile_page)
    r.add_post("/profil/mot-de-passe", profile_password)
    r.add_post("/profil/courriels", profile_emails)
    r.add_post("/structure", choose_structure)
