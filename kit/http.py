"""aiohttp plumbing shared by the services and the gateway: correlation ids, request logs,
JSON problem bodies (RFC 9457) instead of tracebacks, identity verification."""

from __future__ import annotations

import json
import time
from collections.abc import Iterable

from aiohttp import web
from pydantic import BaseModel, ValidationError

from kit import identity as ident
from kit.context import CORRELATION_HEADER, correlation_id_var, new_correlation_id
from kit.logging import get_logger

log = get_logger("http")

IDENTITY = web.RequestKey("identity", ident.Identity)

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})


def problem(status: int, title: str, detail: str | None = None, **extra) -> web.Response:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return web.Response(status=status, text=json.dumps(body, ensure_ascii=False),
                        content_type="application/problem+json")


_TITLES = {400: "Requête invalide", 401: "Authentification requise", 403: "Accès refusé",
           404: "Ressource introuvable", 405: "Méthode non autorisée", 409: "Conflit",
           413: "Contenu trop volumineux", 415: "Type de contenu non pris en charge",
           422: "Données invalides", 503: "Service indisponible"}


@web.middleware
async def correlation_middleware(request: web.Request, handler):
    cid = request.headers.get(CORRELATION_HEADER) or new_correlation_id()
    token = correlation_id_var.set(cid)
    started = time.perf_counter()
    status = 500
    try:
        response = await handler(request)
        status = response.status
        response.headers[CORRELATION_HEADER] = cid
        return response
    except web.HTTPException as exc:
        status = exc.status
        raise
    finally:
        if request.path not in OPEN_PATHS:
            log.info("request", method=request.method, path=request.path, status=status,
                     duration_ms=round((time.perf_counter() - started) * 1000, 1))
        correlation_id_var.reset(token)


@web.middleware
async def problem_middleware(request: web.Request, handler):
    """Every error leaves as a JSON problem in French; an unexpected one is logged, not shown."""
    try:
        return await handler(request)
    except web.HTTPException as exc:
        if exc.status < 400:
            raise
        detail = exc.text if exc.text and not exc.text.startswith(f"{exc.status}:") else None
        return problem(exc.status, _TITLES.get(exc.status, exc.reason), detail)
    except ValidationError as exc:
        return problem(422, _TITLES[422], "Certaines données envoyées ne sont pas valides.",
                       errors=[{"champ": ".".join(str(p) for p in e["loc"]), "message": e["msg"]}
                               for e in exc.errors(include_url=False)])
    except Exception:
        log.exception("unhandled error", method=request.method, path=request.path)
        return problem(500, "Erreur interne", "Une erreur inattendue est survenue. Réessayez plus tard.")


def identity_middleware(secret: str, open_paths: Iterable[str] = OPEN_PATHS):
    """A service trusts no request without a valid identity token from the gateway."""
    open_set = frozenset(open_paths)

    @web.middleware
    async def middleware(request: web.Request, handler):
        if request.path in open_set:
            return await handler(request)
        token = request.headers.get(ident.HEADER)
        if not token:
            return problem(401, _TITLES[401], "Jeton d'identité manquant.")
        try:
            request[IDENTITY] = ident.verify(token, secret)
        except ident.InvalidIdentity:
            return problem(401, _TITLES[401], "Jeton d'identité invalide ou expiré.")
        return await handler(request)

    return middleware


def identity_of(request: web.Request) -> ident.Identity:
    return request[IDENTITY]


def require_role(request: web.Request, *roles: str) -> ident.Identity:
    who = identity_of(request)
    if who.role not in roles:
        raise web.HTTPForbidden(text="Vous n'avez pas accès à cette ressource.")
    return who


async def read_model(request: web.Request, model: type[BaseModel]) -> BaseModel:
    """Parse and validate a JSON body; bad input becomes a 400/422 problem, never a 500."""
    try:
        raw = await request.read()
        return model.model_validate_json(raw or b"{}")
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise web.HTTPBadRequest(text="Le corps de la requête n'est pas du JSON valide.") from None
        raise


def json_response(data, status: int = 200) -> web.Response:
    if isinstance(data, BaseModel):
        text = data.model_dump_json()
    else:
        text = json.dumps(data, ensure_ascii=False, default=str)
    return web.Response(status=status, text=text, content_type="application/json")
