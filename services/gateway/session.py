"""The browser's side of a session: an opaque cookie, resolved by auth on each request; CSRF tokens;
the guards that send a parent to the first-login or consent pages before anything else."""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from functools import wraps
from urllib.parse import quote

from aiohttp import web

from kit import identity as ident
from services.gateway.backend import Backend

SESSION_COOKIE = "portail_session"
CSRF_COOKIE = "portail_csrf"  # double-submit token for forms shown before sign-in
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"

BACKEND = web.AppKey("backend", Backend)
SETTINGS = web.AppKey("settings", object)
ACCOUNT = web.RequestKey("account", object)
DROP_SESSION_COOKIE = web.RequestKey("drop_session_cookie", bool)
ANONYMOUS_CSRF = web.RequestKey("anonymous_csrf", str)


@dataclass(frozen=True)
class Account:
    """The signed-in account as auth resolved it for this request."""

    data: dict

    @property
    def identity(self) -> ident.Identity:
        d = self.data
        return ident.Identity(
            subject=d["account_id"], role=d["role"], family_id=d["family_id"],
            structures=tuple(uuid.UUID(s["id"]) for s in d["structures"]), session_id=uuid.UUID(d["session_id"]))

    def __getattr__(self, name):
        try:
            return self.data[name]
        except KeyError:
            raise AttributeError(name) from None

    @property
    def current_structure(self) -> dict | None:
        return next((s for s in self.data["structures"] if s["id"] == self.data["current_structure_id"]), None)


def account_of(request: web.Request) -> Account | None:
    return request.get(ACCOUNT)


def identity_of(request: web.Request) -> ident.Identity:
    account = account_of(request)
    return account.identity if account else ident.Identity.anonymous()


def client_address(request: web.Request) -> str | None:
    if request.app[SETTINGS].trust_forwarded_for:
        forwarded = request.headers.get("X-Forwarded-For", "")
        if forwarded:
            return forwarded.split(",")[0].strip()[:100]
    return request.remote


@web.middleware
async def session_middleware(request: web.Request, handler):
    token = request.cookies.get(SESSION_COOKIE)
    if token and not request.path.startswith("/static/"):
        status, body = await request.app[BACKEND].request(
            "auth", "POST", "/v1/sessions/resolve", ident.Identity.anonymous(), json={"token": token})
        if status == 200:
            request[ACCOUNT] = Account(body)
        else:
            request[DROP_SESSION_COOKIE] = True
    response = await handler(request)
    if request.get(DROP_SESSION_COOKIE) and isinstance(response, web.StreamResponse) and not response.prepared:
        response.del_cookie(SESSION_COOKIE, path="/")
    return response


def set_session_cookie(request: web.Request, response: web.StreamResponse, token: str) -> None:
    response.set_cookie(SESSION_COOKIE, token, path="/", httponly=True, samesite="Lax",
                        secure=request.app[SETTINGS].cookie_secure)
    request.pop(DROP_SESSION_COOKIE, None)


# -- CSRF ---------------------------------------------------------------------------------------
def csrf_token(request: web.Request) -> str:
    """The token to put in this page's forms: the session's, or a double-submit one before sign-in."""
    account = account_of(request)
    if account:
        return account.csrf_token
    if ANONYMOUS_CSRF not in request:
        request[ANONYMOUS_CSRF] = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(32)
    return request[ANONYMOUS_CSRF]


def remember_anonymous_csrf(request: web.Request, response: web.StreamResponse) -> None:
    token = request.get(ANONYMOUS_CSRF)
    if token and request.cookies.get(CSRF_COOKIE) != token:
        response.set_cookie(CSRF_COOKIE, token, path="/", httponly=True, samesite="Lax",
                            secure=request.app[SETTINGS].cookie_secure)


def csrf_ok(request: web.Request, submitted: str | None) -> bool:
    if not submitted:
        return False
    account = account_of(request)
    expected = account.csrf_token if account else request.cookies.get(CSRF_COOKIE)
    return bool(expected) and hmac.compare_digest(expected, submitted)


class CsrfRefused(web.HTTPForbidden):
    def __init__(self):
        super().__init__(text="csrf")


async def checked_form(request: web.Request) -> dict[str, str]:
    """The posted form, refused (403) when its CSRF token is missing or wrong."""
    form = await request.post()
    if not csrf_ok(request, form.get(CSRF_FIELD)):
        raise CsrfRefused()
    return {k: v for k, v in form.items() if isinstance(v, str)}


# -- guards ---------------------------------------------------------------------------------------
FIRST_LOGIN_PATH = "/mise-a-jour-securite"
CONSENTS_PATH = "/consentements"
LOGIN_PATH = "/connexion"


def signed_in(*, allow_pending: bool = False, roles: tuple[str, ...] = ("parent", "staff", "admin")):
    """A page for signed-in accounts. Until the password is renewed and the RGPD/CGU accepted, every
    other page leads there (unless `allow_pending`)."""

    def decorate(handler):
        @wraps(handler)
        async def wrapper(request: web.Request):
            account = account_of(request)
            if account is None:
                raise web.HTTPSeeOther(f"{LOGIN_PATH}?suite={quote(request.path_qs, safe='')}")
            if not allow_pending:
                if account.must_change_password:
                    raise web.HTTPSeeOther(FIRST_LOGIN_PATH)
                if account.pending_consents:
                    raise web.HTTPSeeOther(CONSENTS_PATH)
            if account.role not in roles:
                raise web.HTTPForbidden(text="Vous n'avez pas accès à cette page.")
            return await handler(request, account)

        return wrapper

    return decorate


def safe_next(target: str | None) -> str:
    """Only local paths: never an open redirect."""
    if target and target.startswith("/") and not target.startswith("//") and "\\" not in target:
        return target
    return "/"
