"""Server-rendered French pages (Jinja2, autoescaped)."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from jinja2 import Environment, FileSystemLoader, select_autoescape

_env = Environment(loader=FileSystemLoader(Path(__file__).parent / "templates"),
                   autoescape=select_autoescape(["html"]))


def render(request: web.Request, template: str, status: int = 200, **context) -> web.Response:
    html = _env.get_template(template).render(request=request, **context)
    return web.Response(status=status, text=html, content_type="text/html", charset="utf-8")


def error_page(request: web.Request, status: int, title: str, message: str) -> web.Response:
    return render(request, "error.html", status=status, title=title, message=message)
