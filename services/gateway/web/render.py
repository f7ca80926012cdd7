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

_env = Environment(loader=FileSystemLoader(TEMPLATES), autoescape=select_autoescape(["html"]))


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
