"""Gestion: the staff and administrators' pages, one structure at a time (the account's current structure,
chosen with the header's drop-down). Server-rendered, working without JavaScript; every form carries the
CSRF token; a service's refusal is shown with its French explanation, never as a 500."""

from __future__ import annotations

from aiohttp import web

from services.gateway.pages.staff import (
    activities,
    activity,
    dashboard,
    families,
    operations,
    requests,
    sheets,
)


def routes(app: web.Application) -> None:
    for screen in (dashboard, activities, activity, requests, sheets, families, operations):
        screen.routes(app)
