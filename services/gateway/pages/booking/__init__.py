"""The parent's booking pages: calendar, day view, copy, recap and confirmation, follow-up and iCal feed."""

from __future__ import annotations

from aiohttp import web

from services.gateway.pages.booking import absences, calendar, confirm, copy, day, follow


def routes(app: web.Application) -> None:
    for screen in (calendar, day, copy, confirm, follow):
        screen.routes(app)
    absences.routes(app)  # declared absences (issue 19)
