"""Server-rendered French pages (Jinja2, autoescaped)."""

from __future__ import annotations

from datetime import datetime
from pathlib import Path
from zoneinfo import ZoneInfo

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

PARIS = ZoneInfo("Europe/Paris")

_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html"]))


def french_datetime(iso: str | None) -> str:
    if not iso:
        return ""
    return datetime.fromisoformat(iso).astimezone(PARIS).strftime("%d/%m/%Y à %H:%M")


def french_date(iso: str | None) -> str:
    return datetime.fromisoformat(iso).astimezone(PARIS).strftime("%d/%m/%Y") if iso else ""


_env.filters["date_heure"] = french_datetime
_env.filters["date"] = french_date


def render(request: web.Request, template: str, status: int = 200, **context) -> web.Response:
    from services.gateway.session import account_of, csrf_token, remember_anonymous_csrf

    html = _env.get_template(template).render(
        request=request, account=account_of(request), csrf=csrf_token(request), **context)
    response = web.Response(status=status, text=html, content_type="text/html", charset="utf-8")
    response.headers["Cache-Control"] = "no-store"
    remember_anonymous_csrf(request, response)
    return response


def error_page(request: web.Request, status: int, title: str, message: str) -> web.Response:
    return render(request, "error.html", status=status, title=title, message=message)
