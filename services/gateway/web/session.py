"""The browser's side of a session: the opaque cookie, resolved by auth (or this replica's short-lived copy of
auth's answer, web/session_cache.py) on each request into the signed-in `Account`; and the client's address
(sign-in throttling), believed from trusted proxies only."""

from __future__ import annotations

import functools
import uuid
from dataclasses import dataclass
from ipaddress import IPv4Address, IPv4Network, IPv6Address, IPv6Network, ip_address

from aiohttp import web

from kit import identity as ident
from services.gateway.clients import clients_of
from services.gateway.web.session_cache import SessionCache

SESSION_COOKIE = "portail_session"

SETTINGS = web.AppKey("settings", object)
SESSION_CACHE = web.AppKey("session_cache", SessionCache)
ACCOUNT = web.RequestKey("account", object)
DROP_SESSION_COOKIE = web.RequestKey("drop_session_cookie", bool)


@dataclass(frozen=True)
class Account:
    """The signed-in account as auth resolved it for this request."""

    data: dict

    @functools.cached_property
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


@web.middleware
async def session_middleware(request: web.Request, handler):
    token = request.cookies.get(SESSION_COOKIE)
    if token and not request.path.startswith("/static/"):
        auth = clients_of(request).auth
        cache = request.app.get(SESSION_CACHE)
        data = await (cache.resolve(token, auth.resolve_session) if cache is not None
                      else auth.resolve_session(token))
        if data is not None:
            request[ACCOUNT] = Account(data)
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


def drop_session_cookie(response: web.StreamResponse) -> None:
    response.del_cookie(SESSION_COOKIE, path="/")


# -- the client's address ------------------------------------------------------------------------------------
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
