"""aiohttp plumbing shared by the services and the gateway: correlation ids, request logs,
JSON problem bodies (RFC 9457) instead of tracebacks, French validation messages, identity
verification, and the guard every request passes before any handler sees it (no NUL byte, no
deeply nested or oversized JSON, no oversized header)."""

from __future__ import annotations

import json
import re
import time
import uuid
from collections.abc import Iterable

import asyncpg
from aiohttp import web
from pydantic import BaseModel, ValidationError

from contracts.errors import DomainError, NotFound
from kit import identity as ident
from kit.context import CORRELATION_HEADER, correlation_id_var, new_correlation_id
from kit.logging import get_logger
from kit.metrics import route_of
from kit.pydantic_fr import french_errors, french_message  # noqa: F401 - services read them from here
from kit.telemetry import name_server_span_by_route

log = get_logger("http")

IDENTITY = web.RequestKey("identity", ident.Identity)

OPEN_PATHS = frozenset({"/healthz", "/readyz", "/metrics"})

# Limits of what a request may carry. aiohttp's own parser refuses longer header lines with a bare
# English 400: HANDLER_ARGS lets them through up to 64 kB so the guard below refuses them in French.
MAX_HEADER_BYTES = 8190  # as aiohttp's own default: nothing it used to accept is refused
MAX_TARGET_BYTES = 8192  # path and query string
MAX_JSON_BYTES = 2 * 1024 * 1024
MAX_JSON_DEPTH = 32
HANDLER_ARGS = {"max_line_size": 65536, "max_field_size": 65536}
# A correlation id travels in logs, events and AMQP headers (255 bytes at most): a short token only.
CORRELATION_RE = re.compile(r"[A-Za-z0-9._:-]{1,64}")
# PostgreSQL text cannot hold NUL, and lone surrogates cannot be encoded in UTF-8.
_FORBIDDEN_CHARS = re.compile("[\x00\ud800-\udfff]")


def problem(status: int, title: str, detail: str | None = None, **extra) -> web.Response:
    body = {"type": "about:blank", "title": title, "status": status}
    if detail:
        body["detail"] = detail
    body.update(extra)
    return web.Response(status=status, text=json.dumps(body, ensure_ascii=False),
                        content_type="application/problem+json")


_TITLES = {400: "Requête invalide", 401: "Authentification requise", 403: "Accès refusé",
           404: "Ressource introuvable", 405: "Méthode non autorisée", 409: "Conflit",
           413: "Contenu trop volumineux", 414: "Adresse trop longue", 415: "Type de contenu non pris en charge",
           422: "Données invalides", 431: "En-têtes trop volumineux", 503: "Service indisponible"}


def title_of(status: int) -> str:
    return _TITLES.get(status, "Requête invalide" if status < 500 else "Erreur")


# aiohttp's own texts (English): never shown, the title says it in French.
_AIOHTTP_TEXTS = ("Maximum request body size", "Too many fields", "Bad Request", "Not Found")


def detail_of(exc: web.HTTPException) -> str | None:
    """The handler's own French explanation of an HTTP error, if it gave one."""
    text = exc.text or ""
    if not text or text.startswith(f"{exc.status}:") or text.startswith(_AIOHTTP_TEXTS):
        return None
    return text


# -- refused input ------------------------------------------------------------------------------------
class InputRefused(web.HTTPBadRequest):
    """Bad input, explained in French (the text is shown to the user as is, on pages too)."""

    def __init__(self, text: str):
        super().__init__(text=text)


class HeadersTooLarge(web.HTTPRequestHeaderFieldsTooLarge):
    def __init__(self):
        super().__init__(text=f"Un en-tête de la requête dépasse {MAX_HEADER_BYTES} octets.")


class TargetTooLong(web.HTTPRequestURITooLong):
    def __init__(self):
        super().__init__(text=f"L'adresse demandée dépasse {MAX_TARGET_BYTES} caractères.")


NUL_TEXT = "La requête contient un caractère non autorisé (caractère nul ou invalide)."
JSON_TEXT = "Le corps de la requête n'est pas du JSON valide."
DEPTH_TEXT = f"Le JSON envoyé est trop imbriqué ({MAX_JSON_DEPTH} niveaux au plus)."


def check_text(value: str) -> str:
    """`value` unless it holds a character PostgreSQL cannot store (NUL, lone surrogate)."""
    if _FORBIDDEN_CHARS.search(value):
        raise InputRefused(NUL_TEXT)
    return value


# In a UTF-8 JSON text a NUL or a lone surrogate can only arrive as a \u escape (a raw control character is
# not valid JSON) or as UTF-8-encoded surrogates (json.loads decodes bytes with "surrogatepass"): a body
# with neither needs its nesting checked, not each of its strings (most of the guard's cost on a basket).
_MAY_HIDE_FORBIDDEN = re.compile(rb"\\u|\xed[\xa0-\xbf]")


def _texts_need_checking(raw: bytes | str) -> bool:
    if isinstance(raw, str):
        return "\\u" in raw or _FORBIDDEN_CHARS.search(raw) is not None
    return json.detect_encoding(raw) not in ("utf-8", "utf-8-sig") or _MAY_HIDE_FORBIDDEN.search(raw) is not None


def _check_depth(value, max_depth: int) -> None:
    """Only the nesting of a decoded JSON value (see `check_json_value`)."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if depth > max_depth:
            raise InputRefused(DEPTH_TEXT)
        children = item.values() if isinstance(item, dict) else item
        stack.extend((child, depth + 1) for child in children if isinstance(child, dict | list))


def check_json_value(value, max_depth: int = MAX_JSON_DEPTH) -> None:
    """Walk a decoded JSON value (without recursion): no string or key with a forbidden character,
    no nesting deeper than `max_depth`."""
    stack = [(value, 1)]
    while stack:
        item, depth = stack.pop()
        if isinstance(item, str):
            check_text(item)
        elif isinstance(item, dict | list):
            if depth > max_depth:
                raise InputRefused(DEPTH_TEXT)
            if isinstance(item, dict):
                for key, child in item.items():
                    check_text(key)
                    stack.append((child, depth + 1))
            else:
                stack.extend((child, depth + 1) for child in item)


def parse_json(raw: bytes | str, max_depth: int = MAX_JSON_DEPTH):
    """Decode a JSON body with the limits every service applies; bad input is an InputRefused (400)."""
    if len(raw) > MAX_JSON_BYTES:
        raise web.HTTPRequestEntityTooLarge(MAX_JSON_BYTES, len(raw),
                                            text=f"Le JSON envoyé dépasse {MAX_JSON_BYTES // (1024 * 1024)} Mo.")
    try:
        value = json.loads(raw)
    except RecursionError:
        raise InputRefused(DEPTH_TEXT) from None
    except ValueError:  # includes UnicodeDecodeError
        raise InputRefused(JSON_TEXT) from None
    if _texts_need_checking(raw):
        check_json_value(value, max_depth)
    elif isinstance(value, dict | list):
        _check_depth(value, max_depth)
    return value


# Set by `check_request` once the body passed `parse_json`'s limits (the guard runs before every handler).
JSON_CHECKED = web.RequestKey("json_checked", bool)


def _is_json(content_type: str) -> bool:
    return content_type == "application/json" or content_type.endswith("+json")


async def check_request(request: web.Request, *, forms: bool = False, multipart_skip: tuple[str, ...] = ()) -> None:
    """Refuse, before any handler, what no handler should have to guard against: oversized headers
    or address, NUL bytes in the path, the query string, JSON bodies and (with `forms`) form fields."""
    for name, value in request.raw_headers:
        if len(name) + len(value) > MAX_HEADER_BYTES:
            raise HeadersTooLarge()
    if len(request.raw_path) > MAX_TARGET_BYTES:
        raise TargetTooLong()
    check_text(request.path)
    for key, value in request.query.items():
        check_text(key)
        check_text(value)
    if not request.body_exists:
        return
    content_type = request.content_type
    if _is_json(content_type):
        raw = await request.read()
        if raw.strip():
            parse_json(raw)
        request[JSON_CHECKED] = True  # read_model need not decode and walk the same body again
    elif forms and content_type in ("application/x-www-form-urlencoded", "multipart/form-data"):
        if content_type == "multipart/form-data" and request.path.startswith(multipart_skip):
            return
        try:
            posted = await request.post()
        except web.HTTPException:
            raise
        except (ValueError, AssertionError, UnicodeError, LookupError):
            raise InputRefused("Le formulaire envoyé est mal formé.") from None
        for key, value in posted.items():
            check_text(key)
            if isinstance(value, str):
                check_text(value)


def guard_middleware(*, forms: bool = False, multipart_skip: tuple[str, ...] = ()):
    """The checks of `check_request` on every route of the application."""

    @web.middleware
    async def middleware(request: web.Request, handler):
        await check_request(request, forms=forms, multipart_skip=multipart_skip)
        return await handler(request)

    return middleware


# -- French validation messages -------------------------------------------------------------------------
def correlation_id_from(request: web.Request) -> str:
    """The caller's correlation id when it is a short token; a new one otherwise."""
    sent = request.headers.get(CORRELATION_HEADER, "")
    return sent if CORRELATION_RE.fullmatch(sent) else new_correlation_id()


@web.middleware
async def correlation_middleware(request: web.Request, handler):
    cid = correlation_id_from(request)
    token = correlation_id_var.set(cid)
    name_server_span_by_route(request.method, route_of(request))
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
            # The route's template, never the concrete path nor the query string: both may carry
            # secrets (reset links, calendar feed tokens).
            log.info("request", method=request.method, path=route_of(request), status=status,
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
        return problem(exc.status, title_of(exc.status), detail_of(exc))
    except DomainError as exc:  # a rule's refusal (contracts/errors.py), already in French
        return problem(exc.status, exc.title, exc.detail)
    except ValidationError as exc:
        return problem(422, _TITLES[422], "Certaines données envoyées ne sont pas valides.",
                       errors=french_errors(exc))
    except asyncpg.DataError as exc:
        # Input the guard let through but PostgreSQL refuses (out of range, untranslatable...): the
        # transaction is rolled back, the caller is told in French.
        log.warning("data refused by the database", method=request.method, path=route_of(request),
                    error=type(exc).__name__)
        return problem(422, _TITLES[422], "Une donnée envoyée n'est pas acceptable.")
    except Exception:
        log.exception("unhandled error", method=request.method, path=route_of(request))
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


async def hide_server_banner(_request: web.Request, response: web.StreamResponse) -> None:
    """on_response_prepare: no `Server: Python/x aiohttp/y` telling which versions to attack."""
    response.headers.popall("Server", None)


def identity_of(request: web.Request) -> ident.Identity:
    return request[IDENTITY]


def require_role(request: web.Request, *roles: str) -> ident.Identity:
    who = identity_of(request)
    if who.role not in roles:
        raise web.HTTPForbidden(text="Vous n'avez pas accès à cette ressource.")
    return who


async def read_model(request: web.Request, model: type[BaseModel]) -> BaseModel:
    """Parse and validate a JSON body; bad input becomes a 400/422 problem, never a 500."""
    raw = await request.read()
    if raw.strip() and not request.get(JSON_CHECKED):
        parse_json(raw)  # size, depth and NUL limits, whatever the Content-Type said
    try:
        return model.model_validate_json(raw if raw.strip() else b"{}")
    except ValidationError as exc:
        if any(e["type"] == "json_invalid" for e in exc.errors()):
            raise InputRefused(JSON_TEXT) from None
        raise


def json_response(data, status: int = 200) -> web.Response:
    if isinstance(data, BaseModel):
        text = data.model_dump_json()
    else:
        text = json.dumps(data, ensure_ascii=False, default=str)
    return web.Response(status=status, text=text, content_type="application/json")


def path_uuid(request: web.Request, name: str, what: str = "Élément") -> uuid.UUID:
    """The path parameter `name` as a UUID; anything else is an unknown address (404), in every service."""
    try:
        return uuid.UUID(request.match_info[name])
    except (KeyError, ValueError):
        raise NotFound(f"{what} introuvable.") from None
