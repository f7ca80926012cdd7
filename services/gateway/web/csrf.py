"""CSRF: every form carries a token, the session's (signed in) or a double-submit cookie's (before sign-in);
a posted form is read only once its token is checked."""

from __future__ import annotations

import hmac
import secrets

from aiohttp import web

from services.gateway.web.session import SETTINGS, account_of

CSRF_COOKIE = "portail_csrf"  # double-submit token for forms shown before sign-in
CSRF_FIELD = "csrf"
CSRF_HEADER = "X-CSRF-Token"

ANONYMOUS_CSRF = web.RequestKey("anonymous_csrf", str)


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


def csrf_ok(request: web.Request, submitted: object) -> bool:
    if not isinstance(submitted, str) or not submitted:
        return False
    account = account_of(request)
    expected = account.csrf_token if account else request.cookies.get(CSRF_COOKIE)
    return bool(expected) and hmac.compare_digest(expected, submitted)


def header_ok(request: web.Request) -> bool:
    """The API's check: the session's token in the X-CSRF-Token header."""
    account = account_of(request)
    sent = request.headers.get(CSRF_HEADER, "")
    return bool(account and sent) and hmac.compare_digest(sent, account.csrf_token)


class CsrfRefused(web.HTTPForbidden):
    def __init__(self):
        super().__init__(text="csrf")


async def checked_form(request: web.Request) -> dict[str, str]:
    """The posted form's text fields, refused (403) when its CSRF token is missing or wrong."""
    form = await request.post()
    if not csrf_ok(request, form.get(CSRF_FIELD)):
        raise CsrfRefused()
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def checked_post(request: web.Request):
    """The whole posted form (files and repeated fields too), refused (403) without its CSRF token."""
    form = await request.post()
    if not csrf_ok(request, form.get(CSRF_FIELD)):
        raise CsrfRefused()
    return form
