"""The browser's side of a session: an opaque cookie, resolved by auth on each request; CSRF tokens;
the guards that send a parent to the first-login or consent pages before anything else."""

from __future__ import annotations

import hmac
import secrets
import uuid
from dataclasses import dataclass
from functools import wraps
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address
from urllib.parse import quote, unquote, urlsplit, urlunsplit

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


def _ip(text: str) -> IPv4Address | IPv6Address | None:
    text = text.strip()
    if text.startswith("[") and "]" in text:  # "[2001:db8::1]:443"
        text = text[1:text.index("]")]
    elif text.count(":") == 1:  # "192.0.2.1:443"
        text = text.split(":")[0]
    try:
        return ip_address(text)
    except ValueError:
        return None


def forwarded_client(peer: str | None, forwarded_for: list[str], trusted: tuple[IPv4Network | IPv6Network, ...]
                     ) -> str | None:
    """The client's address: the peer's, unless the peer is a trusted proxy; then X-Forwarded-For is read
    from the right (each proxy appends the address it saw), skipping trusted proxies, and the first address
    no trusted proxy vouches for is the client. Anything a client writes itself stays on the left, unread."""
    current = _ip(peer) if peer else None

    def is_trusted(address) -> bool:
        return any(address.version == net.version and address in net for net in trusted)

    if current is None or not trusted or not is_trusted(current):
        return peer
    hops = [hop for header in forwarded_for for hop in header.split(",") if hop.strip()]
    for hop in reversed(hops):
        address = _ip(hop)
        if address is None:  # garbage a trusted proxy passed on: believe nothing beyond it
            break
        current = address
        if not is_trusted(address):
            break
    return str(current)


def client_address(request: web.Request) -> str | None:
    """The address sign-in throttling and sessions record: see `forwarded_client`."""
    return forwarded_client(request.remote, request.headers.getall("X-Forwarded-For", []),
                            request.app[SETTINGS].trusted_proxies)


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


def pending_step(account: Account) -> str | None:
    """What the account must do before anything else, pages and API alike: renew its password (first
    sign-in, "Mise à jour de sécurité"), then accept the current RGPD notice and CGU. None when nothing."""
    if account.must_change_password:
        return FIRST_LOGIN_PATH
    if account.pending_consents:
        return CONSENTS_PATH
    return None


def signed_in(*, allow_pending: bool = False, roles: tuple[str, ...] = ("parent", "staff", "admin")):
    """A page for signed-in accounts. Until the password is renewed and the RGPD/CGU accepted, every
    other page leads there (unless `allow_pending`)."""

    def decorate(handler):
        @wraps(handler)
        async def wrapper(request: web.Request):
            account = account_of(request)
            if account is None:
                raise web.HTTPSeeOther(f"{LOGIN_PATH}?suite={quote(request.path_qs, safe='')}")
            if not allow_pending and (step := pending_step(account)):
                raise web.HTTPSeeOther(step)
            if account.role not in roles:
                raise web.HTTPForbidden(text="Vous n'avez pas accès à cette page.")
            return await handler(request, account)

        return wrapper

    return decorate


def safe_next(target: str | None) -> str:
    """Where to go after sign-in: a path of this portal only, never an open redirect. Judged on what a
    browser makes of it: browsers drop tabs and newlines anywhere and read a backslash as "/", so that
    "/<tab>/evil.example" and "/<backslash>evil.example" mean "//evil.example", another host; and a
    percent-encoded "/" or backslash may be decoded on the way ("/%2F/evil.example"). Anything but a plain
    same-origin path, as typed, gives the home page."""
    if not target or len(target) > 2000 or not target.startswith("/") or target.startswith("//"):
        return "/"
    decoded = unquote(target)
    if any(ch.isspace() for ch in target) or any(ch < " " or ch == "\x7f" or ch == "\\" for ch in decoded):
        return "/"
    try:
        parts = urlsplit(target)
    except ValueError:
        return "/"
    if parts.scheme or parts.netloc or not parts.path.startswith("/"):
        return "/"
    if parts.path.startswith("//") or unquote(parts.path).startswith("//"):
        return "/"
    return urlunsplit(("", "", parts.path, parts.query, parts.fragment))
