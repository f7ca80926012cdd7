"""The JSON API under /api/v1 for scripts and the back-office: the same session cookie as the pages,
and for every change an `X-CSRF-Token` header carrying the session's token."""

from __future__ import annotations

import hmac
import json

from aiohttp import web

from kit import identity as ident
from kit.http import json_response, problem
from services.gateway.session import (
    BACKEND,
    CSRF_HEADER,
    SESSION_COOKIE,
    account_of,
    client_address,
    set_session_cookie,
)

MAX_BODY = 5 * 1024 * 1024


def _public(account_data: dict) -> dict:
    keep = ("account_id", "login", "role", "family_id", "display_name", "emails", "must_change_password",
            "structures", "current_structure_id", "pending_consents", "csrf_token")
    return {k: account_data[k] for k in keep}


async def open_session(request: web.Request) -> web.Response:
    if request.content_type != "application/json":
        return problem(415, "Type de contenu non pris en charge", "Envoyez du JSON (application/json).")
    try:
        body = await request.json()
        login, password = str(body["identifiant"]), str(body["mot_de_passe"])
    except (ValueError, KeyError, TypeError):
        return problem(400, "Requête invalide", "Champs attendus : identifiant, mot_de_passe.")
    backend = request.app[BACKEND]
    status, answer = await backend.request("auth", "POST", "/v1/login", ident.Identity.anonymous(), json={
        "login": login, "password": password, "client_address": client_address(request)})
    if status != 201:
        return json_response(answer, status=status)
    status, session = await backend.request("auth", "POST", "/v1/sessions/resolve", ident.Identity.anonymous(),
                                             json={"token": answer["session_token"]})
    response = json_response(_public(session), status=201)
    set_session_cookie(request, response, answer["session_token"])
    return response


def _signed_in(request: web.Request):
    account = account_of(request)
    if account is None:
        raise web.HTTPUnauthorized(text="Connectez-vous d'abord (POST /api/v1/session).")
    if request.method not in ("GET", "HEAD", "OPTIONS"):
        sent = request.headers.get(CSRF_HEADER, "")
        if not sent or not hmac.compare_digest(sent, account.csrf_token):
            raise web.HTTPForbidden(text="Jeton CSRF manquant ou invalide (en-tête X-CSRF-Token).")
    return account


async def current_session(request: web.Request) -> web.Response:
    return json_response(_public(_signed_in(request).data))


async def close_session(request: web.Request) -> web.Response:
    account = _signed_in(request)
    await request.app[BACKEND].request("auth", "POST", "/v1/logout", account.identity)
    response = web.Response(status=204)
    response.del_cookie(SESSION_COOKIE, path="/")
    return response


async def _download(request: web.Request, service: str, path: str, account) -> web.StreamResponse:
    """Files (CSV, PDF) pass through as they are, with their name."""
    backend = request.app[BACKEND]
    headers = {ident.HEADER: ident.issue(account.identity, backend.secret)}
    async with backend.session.get(backend.urls[service] + path, headers=headers) as resp:
        body = await resp.read()
        if resp.status != 200:
            try:
                return json_response(json.loads(body), status=resp.status)
            except ValueError:
                return problem(502, "Erreur", "Le fichier n'a pas pu être produit.")
        kept = {k: v for k, v in resp.headers.items() if k in ("Content-Type", "Content-Disposition")}
        return web.Response(body=body, headers=kept)


def forward(service: str, path_template: str):
    """A route that forwards the call, as the signed-in account, to `service`."""

    async def handler(request: web.Request) -> web.Response:
        account = _signed_in(request)
        path = path_template.format(**request.match_info)
        if ".." in path:
            raise web.HTTPNotFound()
        if request.query_string:
            path += "?" + request.query_string
        data = await request.read() if request.can_read_body else None
        if data and len(data) > MAX_BODY:
            return problem(413, "Contenu trop volumineux", "La requête dépasse 5 Mo.")
        bare = path.split("?")[0]
        if request.method == "GET" and (bare.endswith((".csv", ".pdf", "/pdf", "/archive"))
                                        or bare.startswith("/v1/documents/")):
            return await _download(request, service, path, account)
        status, body = await request.app[BACKEND].request(
            service, request.method, path, account.identity, data=data,
            content_type=request.headers.get("Content-Type") if data else None,
            extra_headers={"X-Filename": request.headers["X-Filename"]} if "X-Filename" in request.headers else None)
        if status == 204:
            return web.Response(status=204)
        if status == 503 and isinstance(body, dict) and body.get("detail"):
            return json_response(body, status=503)  # "try again" from the service, in French
        if status >= 500:
            return problem(502, "Erreur", "Votre demande n'a pas pu aboutir. Réessayez plus tard.")
        return json_response(body, status=status)

    return handler


async def test_provider_page(request: web.Request) -> web.Response:
    """The local test payment provider's pages (a real provider hosts its own)."""
    backend = request.app[BACKEND]
    ref = request.match_info["ref"]
    headers = {ident.HEADER: ident.issue(ident.Identity.anonymous(), backend.secret)}
    if request.method == "GET":
        async with backend.session.get(f"{backend.urls['billing']}/v1/test-provider/{ref}", headers=headers) as resp:
            if resp.status != 200:
                raise web.HTTPNotFound()
            return web.Response(text=await resp.text(), content_type="text/html", charset="utf-8")
    action = request.match_info["action"]
    async with backend.session.post(f"{backend.urls['billing']}/v1/test-provider/{ref}/{action}",
                                    headers=headers) as resp:
        if resp.status != 200:
            raise web.HTTPNotFound()
        target = (await resp.json())["redirect_url"]
    raise web.HTTPSeeOther(target)


async def payment_callback(request: web.Request) -> web.Response:
    """A real provider calls the portal back here (signed; verified by billing)."""
    backend = request.app[BACKEND]
    headers = {ident.HEADER: ident.issue(ident.Identity.anonymous(), backend.secret),
               "X-Signature": request.headers.get("X-Signature", ""), "Content-Type": "application/json"}
    async with backend.session.post(f"{backend.urls['billing']}/v1/payments/callback", data=await request.read(),
                                    headers=headers) as resp:
        return web.Response(status=resp.status)


async def calendar_feed(request: web.Request) -> web.Response:
    """The family's private iCal URL: the token in the path is the credential (no session needed)."""
    backend = request.app[BACKEND]
    url = backend.urls["booking"] + "/v1/feed/" + request.match_info["token"]
    headers = {ident.HEADER: ident.issue(ident.Identity.anonymous(), backend.secret)}
    async with backend.session.get(url, headers=headers) as resp:
        if resp.status != 200:
            raise web.HTTPNotFound()
        return web.Response(body=await resp.read(), content_type="text/calendar", charset="utf-8")


def routes(app: web.Application) -> None:
    r = app.router
    # booking: every route of its API, as the signed-in account
    r.add_route("*", r"/api/v1/booking/{tail:[A-Za-z0-9/_.-]+}", forward("booking", "/v1/{tail}"))
    r.add_route("*", r"/api/v1/billing/{tail:[A-Za-z0-9/_.-]+}", forward("billing", "/v1/{tail}"))
    r.add_route("*", r"/api/v1/dossier/{tail:[A-Za-z0-9/_.-]+}", forward("dossier", "/v1/{tail}"))
    r.add_get("/api/v1/notify/deliveries", forward("notify", "/v1/deliveries"))
    r.add_post("/api/v1/notify/digests", forward("notify", "/v1/digests"))
    r.add_get(r"/calendrier/{token:[A-Za-z0-9_-]+}.ics", calendar_feed)
    r.add_get(r"/paiement-test/{ref:[A-Za-z0-9_-]+}", test_provider_page)
    r.add_post(r"/paiement-test/{ref:[A-Za-z0-9_-]+}/{action:payer|annuler}", test_provider_page)
    r.add_post("/api/v1/payments/callback", payment_callback)
    r.add_post("/api/v1/session", open_session)
    r.add_get("/api/v1/session", current_session)
    r.add_delete("/api/v1/session", close_session)
    r.add_post("/api/v1/structures", forward("auth", "/v1/structures"))
    r.add_put("/api/v1/structures/{structure_id}/news", forward("auth", "/v1/structures/{structure_id}/news"))
    r.add_post("/api/v1/families", forward("auth", "/v1/families"))
    r.add_post("/api/v1/families/import", forward("auth", "/v1/families/import"))
    r.add_get("/api/v1/families/{family_id}", forward("auth", "/v1/families/{family_id}"))
    r.add_post("/api/v1/families/{family_id}/security-update",
               forward("auth", "/v1/families/{family_id}/security-update"))
    r.add_post("/api/v1/legal/{kind}", forward("auth", "/v1/legal/{kind}"))
    r.add_post("/api/v1/staff", forward("auth", "/v1/staff"))
