"""Server-rendered French pages (Jinja2, autoescaped): every page carries the account and its CSRF token."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

from kit.clock import PARIS
from services.gateway.web.csrf import csrf_token, remember_anonymous_csrf
from services.gateway.web.session import account_of

TEMPLATES = Path(__file__).resolve().parent.parent / "templates"

_DICT_NAMES = frozenset(dir(dict))


class PageEnvironment(Environment):
    """Jinja's environment, reading `x.key` on the services' JSON (plain dicts) as the key it always turns out to
    be. Jinja tries the attribute first, and a dict has no attribute but its methods: each such lookup raised and
    caught an AttributeError before reading the key — a tenth of the gateway's CPU on the rush's pages (a recap
    or a result of 40 lines, py-spy). The answers are Jinja's: a dict method's name, a missing key and any other
    object take Jinja's own way."""

    def getattr(self, obj, attribute):
        if type(obj) is dict and attribute not in _DICT_NAMES:
            try:
                return obj[attribute]
            except KeyError:
                pass
        return super().getattr(obj, attribute)


# The templates are read once: Jinja's default (auto_reload) asks the file's mtime of a page and of each template
# it extends at every render, a system call apiece on the rush's hot pages. Development mode reloads them
# (`reload_templates`, services/gateway/app.py) so that an edited template shows at the next request.
_env = PageEnvironment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]),
                       auto_reload=False)


def reload_templates(enabled: bool) -> None:
    """Whether an edited template is read again at its next render (development mode)."""
    _env.auto_reload = enabled


def french_datetime(iso: str | None) -> str:
    """An ISO moment as Paris reads it: "31/01/2026 à 08:30"."""
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")


def french_date(iso: str | None) -> str:
    return datetime.fromisoformat(iso).astimezone(PARIS).strftime("%d/%m/%Y") if iso else ""


_env.filters["date_heure"] = french_datetime
_env.filters["date"] = french_date


def render_text(template: str, **context) -> str:
    """A template rendered alone (no request): for tests and fragments."""
    return _env.get_template(template).render(**context)


def render(request: web.Request, template: str, status: int = 200, **context) -> web.Response:
    html = _env.get_template(template).render(
        request=request, account=account_of(request), csrf=csrf_token(request), **context)
    response = web.Response(status=status, text=html, content_type="text/html", charset="utf-8")
    response.headers["Cache-Control"] = "no-store"
    remember_anonymous_csrf(request, response)
    return response


def error_page(request: web.Request, status: int, title: str, message: str) -> web.Response:
    return render(request, "error.html", status=status, title=title, message=message)
