"""Who may open a page: signed in, with the right role, and only once the first steps are done (a new
password at first sign-in, then the RGPD notice and CGU); and where a sign-in may send the user next."""

from __future__ import annotations

from functools import wraps
from urllib.parse import quote, unquote, urlsplit, urlunsplit

from aiohttp import web

from services.gateway.web.session import Account, account_of

FIRST_LOGIN_PATH = "/mise-a-jour-securite"
CONSENTS_PATH = "/consentements"
LOGIN_PATH = "/connexion"
PARENT = ("parent",)
STAFF = ("staff", "admin")
ADMIN = ("admin",)


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
