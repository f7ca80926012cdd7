"""The JSON API under /api/v1 for scripts and the back-office: the same session cookie as the pages,
and for every change an `X-CSRF-Token` header carrying the session's token."""

from __future__ import annotations

import json
from urllib.parse import quote, urlencode

from aiohttp import web

from kit import identity as ident
from kit.http import json_response, problem
from services.gateway import openapi, public_api
from services.gateway.clients import Refused, clients_of, relay
from services.gateway.clients.base import decoded
from services.gateway.pages.home import api_status
from services.gateway.web.csrf import header_ok
from services.gateway.web.guards import CONSENTS_PATH, FIRST_LOGIN_PATH, pending_step
from services.gateway.web.session import account_of, client_address, drop_session_cookie, set_session_cookie

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
    auth = clients_of(request).auth
    try:
        answer = await auth.login(login, password, client_address(request))
    except Refused as exc:
        return json_response(exc.body, status=exc.status)
    session = await auth.resolve_session(answer["session_token"])
    response = json_response(_public(session), status=201)
    set_session_cookie(request, response, answer["session_token"])
    return response


# What an account must do first, as the pages require it (session.pending_step), said to an API client.
PENDING_STEPS = {
    FIRST_LOGIN_PATH: ("Vous devez d'abord choisir un nouveau mot de passe : POST /api/v1/password/required "
                       "avec « password » et « confirmation » (ou la page « Mise à jour de sécurité » du portail)."),
    CONSENTS_PATH: ("Vous devez d'abord prendre connaissance de la notice RGPD et des conditions générales "
                    "d'utilisation (GET /api/v1/legal) et les accepter : POST /api/v1/consents avec "
                    "« accepted » (ou la page « Consentements » du portail)."),
}


def _signed_in(request: web.Request, *, allow_pending: bool = False):
    """The signed-in account, its CSRF header checked on every change. Until it has renewed its password
    and accepted the RGPD notice and CGU, only the routes that let it do so (`allow_pending`) answer it."""
    account = account_of(request)
    if account is None:
        raise web.HTTPUnauthorized(text="Connectez-vous d'abord (POST /api/v1/session).")
    if request.method not in ("GET", "HEAD", "OPTIONS") and not header_ok(request):
        raise web.HTTPForbidden(text="Jeton CSRF manquant ou invalide (en-tête X-CSRF-Token).")
    if not allow_pending and (step := pending_step(account)):
        raise web.HTTPForbidden(text=PENDING_STEPS[step])
    return account


async def current_session(request: web.Request) -> web.Response:
    return json_response(_public(_signed_in(request, allow_pending=True).data))


async def close_session(request: web.Request) -> web.Response:
    account = _signed_in(request, allow_pending=True)
    await clients_of(request).auth.logout(account.identity)
    response = web.Response(status=204)
    drop_session_cookie(response)
    return response


async def _download(request: web.Request, service: str, path: str, account) -> web.StreamResponse:
    """Files (CSV, PDF, ZIP, documents) pass through as they are, with their name, relayed chunk by
    chunk as they arrive: the gateway never holds a whole file."""
    async with clients_of(request).named(service).download(path, account.identity) as resp:
        if resp.status != 200:
            body = await resp.read()  # a problem body, small
            try:
                return json_response(json.loads(body), status=resp.status)
            except ValueError:
                return problem(502, "Erreur", "Le fichier n'a pas pu être produit.")
        return await relay(request, resp)


def _caller(request: web.Request, route: public_api.Route):
    """Who calls `route`, refused here when the declaration does not name their role: 401 when nobody is
    signed in, 403 otherwise (each service then checks which objects they may touch). A signed-in caller
    sends the CSRF header with every change and has renewed its password and accepted the RGPD/CGU
    (unless the route is one of those steps)."""
    if public_api.ANONYMOUS in route.roles:  # open to everyone, signed in or not (sign-in, news, callback)
        return account_of(request)
    account = _signed_in(request, allow_pending=route.pending)
    if public_api.ROLE_OF_ACCOUNT.get(account.role) not in route.roles:
        raise web.HTTPForbidden(text=_reserved_to(route.roles))
    return account


_WHO = {public_api.FAMILY: "aux familles", public_api.STAFF: "au personnel des structures",
        public_api.ADMIN: "aux administrateurs du portail"}


def _reserved_to(roles: tuple[str, ...]) -> str:
    names = [_WHO[r] for r in public_api.ROLES if r in roles and r in _WHO]
    listed = names[0] if len(names) == 1 else ", ".join(names[:-1]) + " et " + names[-1]
    return f"Accès refusé : cette fonction est réservée {listed}."


def _query(request: web.Request, route: public_api.Route) -> str:
    """Only the declared query parameters go on to the service."""
    if route.query is None or not request.query:
        return ""
    declared = {f.alias or name for name, f in route.query.model_fields.items()}
    kept = [(k, v) for k, v in request.query.items() if k in declared]
    return "?" + urlencode(kept) if kept else ""


def forward(route: public_api.Route):
    """The handler of a declared route that the gateway forwards, as the caller, to its service."""

    async def handler(request: web.Request) -> web.StreamResponse:
        account = _caller(request, route)
        who = account.identity if account else ident.Identity.anonymous()
        params = {name: quote(request.match_info[name], safe="") for name in route.path_params}
        path = route.internal.format(**params) + _query(request, route)
        data = await request.read() if request.body_exists else None  # read (and cached) by the guard
        if data and len(data) > MAX_BODY:
            return problem(413, "Contenu trop volumineux", "La requête dépasse 5 Mo.")
        if route.download and account is not None:
            return await _download(request, route.service, path, account)
        status, kind, raw = await clients_of(request).named(route.service).exchange(
            request.method, path, who, data=data,
            content_type=request.headers.get("Content-Type") if data else None,
            extra_headers={"X-Filename": request.headers["X-Filename"]} if "X-Filename" in request.headers else None)
        if status == 204:
            return web.Response(status=204)
        if 200 <= status < 300 and kind == "application/json":
            # passed on as the service wrote it: not decoded and encoded again
            return web.Response(status=status, body=raw, content_type=kind, charset="utf-8")
        body = decoded(raw)
        if status == 503 and isinstance(body, dict) and body.get("detail"):
            return _problem_of(body, 503)  # "try again" from the service, in French
        if status >= 500:
            return problem(502, "Erreur", "Votre demande n'a pas pu aboutir. Réessayez plus tard.")
        if status >= 400:
            return _problem_of(body, status)
        return json_response(body, status=status)

    return handler


def _problem_of(body, status: int) -> web.Response:
    """A service's refusal, passed on as a JSON problem."""
    if not isinstance(body, dict):
        return problem(status, "Requête refusée")
    return web.Response(status=status, text=json.dumps({"type": "about:blank", "status": status, **body},
                                                       ensure_ascii=False),
                        content_type="application/problem+json")


def guarded(route: public_api.Route, handler):
    """A route the gateway answers itself, behind the same role check as the forwarded ones."""

    async def wrapper(request: web.Request) -> web.StreamResponse:
        _caller(request, route)
        return await handler(request)

    return wrapper


async def payment_notification(request: web.Request) -> web.Response:
    """A payment backend notifies the portal here, server to server (GET query or POST form): relayed to
    billing, which has eopayment parse and check it; the bank gets the answer it expects, if any."""
    query = request.query_string.encode() if request.method == "GET" else await request.read()
    if len(query) > 64 * 1024:
        return problem(413, "Contenu trop volumineux", "La notification dépasse 64 Ko.")
    status, answer = await clients_of(request).billing.bank_answer("notification",
                                                                   request.match_info["structure_id"], query)
    if status == 200 and isinstance(answer, dict):
        content = answer.get("return_content")
        return web.Response(text=content if isinstance(content, str) else "OK", content_type="text/plain")
    if 400 <= status < 500 and isinstance(answer, dict):
        return json_response(answer, status=status)
    return problem(502, "Erreur", "La notification n'a pas pu être traitée. Réessayez plus tard.")


def routes(app: web.Application) -> None:
    r = app.router
    # /api/v1: the declared routes (services/gateway/public_api.py), and nothing else
    local = {"open_session": open_session, "current_session": current_session, "close_session": close_session,
             "payment_notification": payment_notification, "status": api_status,
             "openapi": openapi.serve_document, "docs": openapi.serve_docs}
    for route in public_api.ROUTES:
        handler = forward(route) if route.service else guarded(route, local[route.local])
        r.add_route(route.method, public_api.pattern(route), handler)
